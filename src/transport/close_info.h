#pragma once
// How a connection ended: the single report every connection gets.
#include <cstdint>
#include <string>

namespace tether::transport {

enum class CloseInitiator : uint8_t {
  Local,      // this side's application called close()
  Remote,     // the peer started the close handshake, or broke a rule (message
              // too big, protocol error) so that this side's library closed
  Transport,  // no close handshake: the connect failed, the TCP connection
              // dropped, or it was aborted
};

// Why a connection ended, precisely enough to decide whether a retry can help.
enum class TransportError : uint8_t {
  None,                 // a close handshake completed (or was requested locally)
  InvalidOptions,       // bad url, unreadable ca_file, malformed pin ...; detail says which
  DnsFailed,            // the host name did not resolve
  ConnectFailed,        // TCP connect refused or unreachable
  Timeout,              // connect/handshake did not finish within the deadline
  TlsVerifyFailed,      // certificate chain rejected; detail is OpenSSL's reason,
                        // e.g. "self-signed certificate", "certificate has expired"
  TlsHostnameMismatch,  // valid certificate, but not for the host we dialed
  TlsPinMismatch,       // the leaf's public key matches none of the pins
  TlsHandshakeFailed,   // any other TLS failure (protocol mismatch, alert ...)
  WsHandshakeFailed,    // HTTP upgrade rejected (see http_status) or subprotocol not accepted
  ProtocolError,        // the peer broke the WebSocket protocol (1002, 1003, 1007)
  MessageTooBig,        // a message exceeded a max message size (1009)
  ConnectionLost,       // the connection dropped without a close handshake (1006)
};

struct CloseInfo {
  uint16_t code = 1006;  // WebSocket close code; 1006 when none was exchanged,
                         // 1015 when the TLS handshake failed
  std::string reason;    // close reason text from the close frame, if any
  CloseInitiator initiator = CloseInitiator::Transport;
  bool clean = false;    // true when the close handshake completed
  TransportError error = TransportError::None;
  std::string detail;    // human-readable specifics for logs; not stable text
  uint16_t http_status = 0;  // WsHandshakeFailed: the server's HTTP status, if any
                             // (503 = the server is full, try again later)
};

// Static names for logs, e.g. "TlsPinMismatch".
const char* to_string(CloseInitiator initiator) noexcept;
const char* to_string(TransportError error) noexcept;

}  // namespace tether::transport
