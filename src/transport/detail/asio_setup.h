#pragma once
// Include first in every file that sees Asio or websocketpp: it enforces the
// build settings they silently depend on.
//
// A standard header first: Asio decides from the library's configuration
// macros (c++config.h) whether to allocate with aligned_alloc. A file that
// included Asio before any standard header decided otherwise than the rest,
// so memory one file allocated another freed the other way (ASan:
// alloc-dealloc-mismatch).
#include <cstddef>
#ifndef ASIO_STANDALONE
#error "Build src/transport with ASIO_STANDALONE, or websocketpp silently uses Boost.Asio"
#endif
#ifndef _WEBSOCKETPP_CPP11_STL_
#error "Build src/transport with _WEBSOCKETPP_CPP11_STL_ so websocketpp uses std:: types"
#endif
