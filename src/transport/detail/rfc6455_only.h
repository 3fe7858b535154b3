#pragma once
// Tether's servers speak RFC 6455 (Sec-WebSocket-Version: 13) and nothing
// older. websocketpp 0.8 also accepts Hixie-76 (no version header) and the
// hybi-07/08 drafts, with no switch to turn them off, and its Hixie-76
// processor ignores the message size limit: one unauthenticated client could
// stream any amount into a single frame.
//
// So, for the two server configurations only, this replaces the one member
// that picks a processor for a handshake: any version but 13 is answered
// "426 Upgrade Required" with "Sec-WebSocket-Version: 13" (RFC 6455 4.4),
// before any processor is created and before Hixie-76's trailing key bytes
// are read; the connection is then dropped. An explicit specialization, so
// nothing else of websocketpp changes, and a websocketpp upgrade that renames
// the member fails to compile instead of quietly accepting old drafts again.
//
// Include from every file that instantiates the server role (ws_server.cpp,
// http_server.cpp), before anything there uses it: an explicit
// specialization must precede every implicit use, and a file without it
// would instantiate a different member under the same name (the linker then
// keeps either: the 426 test caught exactly that).
#include <websocketpp/server.hpp>

#include "transport/detail/ws_config.h"

namespace tether::transport::detail {

// The only value RFC 6455 allows; also what a refusal advertises.
inline constexpr const char* kWebSocketVersion = "13";

template <typename Request, typename Response>
bool accept_version(const Request& request, Response& response) {
  if (request.get_header("Sec-WebSocket-Version") == kWebSocketVersion) return true;
  response.set_status(websocketpp::http::status_code::upgrade_required);
  response.replace_header("Sec-WebSocket-Version", kWebSocketVersion);
  return false;
}

}  // namespace tether::transport::detail

namespace websocketpp {

// Same contract as the generic member: an error code makes websocketpp write
// m_response and close; no error and a processor continue the handshake; no
// error and no processor (not a WebSocket request) goes on as plain HTTP,
// which our servers answer with 426 too (no HTTP handler is set).
#define TETHER_RFC6455_ONLY(Config)                                                     \
  template <>                                                                           \
  inline lib::error_code connection<Config>::initialize_processor() {                  \
    if (!processor::is_websocket_handshake(m_request)) return lib::error_code();       \
    if (!tether::transport::detail::accept_version(m_request, m_response)) {           \
      return error::make_error_code(error::unsupported_version);                        \
    }                                                                                   \
    m_processor = get_processor(13);                                                    \
    return m_processor ? lib::error_code() : error::make_error_code(error::general);   \
  }

TETHER_RFC6455_ONLY(tether::transport::detail::PlainServerConfig)
TETHER_RFC6455_ONLY(tether::transport::detail::TlsServerConfig)

#undef TETHER_RFC6455_ONLY

}  // namespace websocketpp
