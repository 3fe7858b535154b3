#pragma once
// What a server connection keeps for its whole life, trimmed to what it uses.
#include <type_traits>

namespace tether::transport::detail {

// websocketpp keeps the parsed upgrade request and our response, headers and
// all, for the connection's whole life: about 1.3 KB of maps and strings on
// every idle connection. Nothing reads them once the connection is open (its
// logging of them is compiled out, and Tether asks for no header later), so
// the open handler empties them. websocketpp exposes both only as const
// references, but they are plain members, not const objects.
template <typename WsConnection>
void release_handshake(WsConnection& connection) {
  using Request = std::decay_t<decltype(connection.get_request())>;
  using Response = std::decay_t<decltype(connection.get_response())>;
  const_cast<Request&>(connection.get_request()) = Request();
  const_cast<Response&>(connection.get_response()) = Response();
}

}  // namespace tether::transport::detail
