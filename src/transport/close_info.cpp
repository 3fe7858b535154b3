#include "transport/close_info.h"

namespace tether::transport {

const char* to_string(CloseInitiator initiator) noexcept {
  switch (initiator) {
    case CloseInitiator::Local: return "Local";
    case CloseInitiator::Remote: return "Remote";
    case CloseInitiator::Transport: return "Transport";
  }
  return "Unknown";
}

const char* to_string(TransportError error) noexcept {
  switch (error) {
    case TransportError::None: return "None";
    case TransportError::InvalidOptions: return "InvalidOptions";
    case TransportError::DnsFailed: return "DnsFailed";
    case TransportError::ConnectFailed: return "ConnectFailed";
    case TransportError::Timeout: return "Timeout";
    case TransportError::TlsVerifyFailed: return "TlsVerifyFailed";
    case TransportError::TlsHostnameMismatch: return "TlsHostnameMismatch";
    case TransportError::TlsPinMismatch: return "TlsPinMismatch";
    case TransportError::TlsHandshakeFailed: return "TlsHandshakeFailed";
    case TransportError::WsHandshakeFailed: return "WsHandshakeFailed";
    case TransportError::ProtocolError: return "ProtocolError";
    case TransportError::MessageTooBig: return "MessageTooBig";
    case TransportError::ConnectionLost: return "ConnectionLost";
  }
  return "Unknown";
}

}  // namespace tether::transport
