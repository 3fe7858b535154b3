#include "client/transport_reports.h"

namespace tether::client {

const char* transport_error_code(transport::TransportError error) {
  using transport::TransportError;
  switch (error) {
    case TransportError::None: return "none";
    case TransportError::InvalidOptions: return "invalid_options";
    case TransportError::DnsFailed: return "dns_failed";
    case TransportError::ConnectFailed: return "connect_failed";
    case TransportError::Timeout: return "connect_timeout";
    case TransportError::TlsVerifyFailed: return "tls_verify_failed";
    case TransportError::TlsHostnameMismatch: return "tls_hostname_mismatch";
    case TransportError::TlsPinMismatch: return "tls_pin_mismatch";
    case TransportError::TlsHandshakeFailed: return "tls_handshake_failed";
    case TransportError::WsHandshakeFailed: return "ws_handshake_failed";
    case TransportError::ProtocolError: return "protocol_error";
    case TransportError::MessageTooBig: return "message_too_big";
    case TransportError::ConnectionLost: return "connection_lost";
  }
  return "unknown";
}

core::CloseInitiator core_initiator(transport::CloseInitiator initiator) {
  switch (initiator) {
    case transport::CloseInitiator::Local: return core::CloseInitiator::Local;
    case transport::CloseInitiator::Remote: return core::CloseInitiator::Remote;
    case transport::CloseInitiator::Transport: return core::CloseInitiator::Transport;
  }
  return core::CloseInitiator::Transport;
}

}  // namespace tether::client
