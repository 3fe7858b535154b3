#pragma once
// Turns what websocketpp, Asio and OpenSSL reported about an ended connection
// into the one CloseInfo its owner gets.
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>
#include <variant>

#include "transport/close_info.h"
#include "transport/detail/tls_findings.h"

namespace tether::transport::detail {

// How far a connection got. Failures before Open are explained by the stage.
enum class Stage : uint8_t { Connecting, TlsHandshake, WsHandshake, Open };

// What this side's own code asked for before the end.
enum class LocalRequest : uint8_t {
  None,
  Close,              // the application called close()
  ProtocolClose,      // the layer closed because the peer broke the protocol
  RejectSubprotocol,  // the server picked none of the offered subprotocols
};

struct ConnectionOutcome {
  Stage stage = Stage::Connecting;
  LocalRequest request = LocalRequest::None;
  uint16_t requested_code = 0;
  std::string requested_reason;
  std::error_code error;        // websocketpp's reason the connection ended
  uint16_t local_code = 1006;   // close code this side sent; 1006 if none
  std::string local_reason;
  uint16_t remote_code = 1006;  // close code the peer sent; 1006 if none
  std::string remote_reason;
  uint16_t http_status = 0;     // the server's handshake response status (client only)
  const TlsFindings* tls = nullptr;
};

// Starts the closing handshake on an open connection and records the request
// in `entry` (a client's or a server's: both keep `connection`, a variant of
// websocketpp connection pointers, and the requested_* fields). False, with
// nothing recorded, if websocketpp refused.
template <typename Entry>
bool request_close(Entry& entry, uint16_t code, std::string reason) {
  std::error_code ec;
  std::visit([&](auto& connection) { connection->close(code, reason, ec); }, entry.connection);
  if (ec) return false;
  entry.request = LocalRequest::Close;
  entry.requested_code = code;
  entry.requested_reason = std::move(reason);
  return true;
}

// Copies the end state out of a websocketpp connection.
template <typename WsConnection>
void read_end_state(const WsConnection& connection, ConnectionOutcome& outcome) {
  outcome.error = connection.get_ec();
  outcome.local_code = static_cast<uint16_t>(connection.get_local_close_code());
  outcome.local_reason = connection.get_local_close_reason();
  outcome.remote_code = static_cast<uint16_t>(connection.get_remote_close_code());
  outcome.remote_reason = connection.get_remote_close_reason();
  outcome.http_status = static_cast<uint16_t>(connection.get_response_code());
}

CloseInfo classify_close(const ConnectionOutcome& outcome);

// Ends decided by this side rather than observed on the wire.
CloseInfo aborted_close();
CloseInfo timeout_close(int64_t timeout_ms);
CloseInfo invalid_options_close(std::string detail);
CloseInfo closed_before_open(uint16_t code, std::string reason);

}  // namespace tether::transport::detail
