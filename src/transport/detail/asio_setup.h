#pragma once
// Include first in every file that sees Asio or websocketpp: it enforces the
// build settings they silently depend on.
#ifndef ASIO_STANDALONE
#error "Build src/transport with ASIO_STANDALONE, or websocketpp silently uses Boost.Asio"
#endif
#ifndef _WEBSOCKETPP_CPP11_STL_
#error "Build src/transport with _WEBSOCKETPP_CPP11_STL_ so websocketpp uses std:: types"
#endif
