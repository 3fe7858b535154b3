#include "transport/detail/close_classifier.h"

#include "transport/detail/asio_setup.h"

#include <asio/error.hpp>
#include <asio/ssl/error.hpp>
#include <websocketpp/error.hpp>
#include <websocketpp/processors/base.hpp>
#include <websocketpp/transport/asio/security/base.hpp>
#include <websocketpp/transport/base/connection.hpp>

namespace tether::transport::detail {

namespace {

constexpr uint16_t kNoCloseFrame = 1006;
constexpr uint16_t kTlsFailure = 1015;
constexpr uint16_t kProtocolError = 1002;
constexpr uint16_t kUnsupportedData = 1003;
constexpr uint16_t kInvalidPayload = 1007;
constexpr uint16_t kMessageTooBig = 1009;

bool is_timeout(const std::error_code& error) {
  namespace socket_error = websocketpp::transport::asio::socket::error;
  return error == websocketpp::transport::error::make_error_code(websocketpp::transport::error::timeout) ||
         error == websocketpp::error::make_error_code(websocketpp::error::open_handshake_timeout) ||
         error == websocketpp::transport::asio::socket::make_error_code(socket_error::tls_handshake_timeout) ||
         error == asio::error::timed_out;
}

// On Windows Asio's netdb and addrinfo categories ARE the system category
// (resolver errors are WSAHOST_NOT_FOUND and friends), so there only the
// values tell: a category test alone would call a refused connect a DNS
// failure (the C API suite under Wine caught that).
bool is_dns_failure(const std::error_code& error) {
  const std::error_category& category = error.category();
  const bool resolver_category =
      category != asio::system_category() &&
      (category == asio::error::get_netdb_category() || category == asio::error::get_addrinfo_category());
  return resolver_category || error == asio::error::host_not_found ||
         error == asio::error::host_not_found_try_again || error == asio::error::no_data ||
         error == asio::error::no_recovery || error == asio::error::service_not_found;
}

// websocketpp reports TLS handshake failures in its socket category; OpenSSL
// errors seen later keep Asio's ssl category.
bool is_tls_failure(const std::error_code& error) {
  return error.category() == websocketpp::transport::asio::socket::get_socket_category() ||
         error.category() == asio::error::get_ssl_category() ||
         error == websocketpp::transport::error::make_error_code(websocketpp::transport::error::tls_error);
}

// Errors from parsing or validating the server's HTTP upgrade response.
bool is_handshake_rejection(const std::error_code& error) {
  return error.category() == websocketpp::processor::error::get_processor_category() ||
         error.category() == websocketpp::error::get_category();
}

bool is_protocol_code(uint16_t code) {
  return code == kProtocolError || code == kUnsupportedData || code == kInvalidPayload;
}

CloseInfo transport_failure(TransportError error, std::string detail, uint16_t code = kNoCloseFrame) {
  CloseInfo info;
  info.code = code;
  info.initiator = CloseInitiator::Transport;
  info.error = error;
  info.detail = std::move(detail);
  return info;
}

// The certificate checks explain a failed handshake better than any error code.
bool explain_by_tls(const TlsFindings* tls, CloseInfo& info) {
  if (tls == nullptr) return false;
  if (tls->pin_mismatch) {
    info = transport_failure(TransportError::TlsPinMismatch,
                             "the server's public key matches none of the pinned keys", kTlsFailure);
  } else if (tls->hostname_mismatch) {
    info = transport_failure(TransportError::TlsHostnameMismatch,
                             "the certificate is not valid for the host in the url", kTlsFailure);
  } else if (tls->verify_error != 0) {
    info = transport_failure(TransportError::TlsVerifyFailed, tls->verify_error_text, kTlsFailure);
  } else {
    return false;
  }
  return true;
}

CloseInfo classify_failed_open(const ConnectionOutcome& outcome) {
  CloseInfo info;
  if (explain_by_tls(outcome.tls, info)) return info;
  const std::string reason = outcome.error ? outcome.error.message() : std::string("connection ended");
  if (outcome.request == LocalRequest::RejectSubprotocol) {
    info = transport_failure(TransportError::WsHandshakeFailed,
                             "the server accepted none of the offered subprotocols");
  } else if (is_timeout(outcome.error)) {
    info = transport_failure(TransportError::Timeout, reason);
  } else if (outcome.stage == Stage::Connecting) {
    info = transport_failure(is_dns_failure(outcome.error) ? TransportError::DnsFailed
                                                           : TransportError::ConnectFailed,
                             reason);
  } else if (outcome.stage == Stage::TlsHandshake || (outcome.tls != nullptr && is_tls_failure(outcome.error))) {
    const bool has_alert = outcome.tls != nullptr && !outcome.tls->alert.empty();
    info = transport_failure(TransportError::TlsHandshakeFailed,
                             has_alert ? reason + ": " + outcome.tls->alert : reason, kTlsFailure);
  } else if (outcome.http_status != 0 && outcome.http_status != 101) {
    info = transport_failure(TransportError::WsHandshakeFailed,
                             "the server answered the upgrade with HTTP " +
                                 std::to_string(outcome.http_status));
    info.http_status = outcome.http_status;
  } else if (is_handshake_rejection(outcome.error)) {
    info = transport_failure(TransportError::WsHandshakeFailed, reason);
  } else {
    info = transport_failure(TransportError::ConnectionLost,
                             "connection dropped during the WebSocket handshake: " + reason);
  }
  return info;
}

CloseInfo classify_open_end(const ConnectionOutcome& outcome) {
  CloseInfo info;
  // A received close frame means the handshake is done; an EOF or a TLS
  // "stream truncated" after it is how the TCP connection ends, not an error.
  const bool got_close = outcome.remote_code != kNoCloseFrame;
  const bool asked_to_close = outcome.request == LocalRequest::Close;
  info.clean = got_close;

  if (asked_to_close) {
    info.initiator = CloseInitiator::Local;
    info.code = outcome.requested_code;
    info.reason = outcome.requested_reason;
  } else if (outcome.request == LocalRequest::ProtocolClose) {
    // Our side sent the close frame, because of what the peer sent.
    info.initiator = CloseInitiator::Local;
    info.code = outcome.local_code != kNoCloseFrame ? outcome.local_code : kUnsupportedData;
    info.reason = outcome.local_reason;
  } else if (got_close) {
    info.initiator = CloseInitiator::Remote;
    info.code = outcome.remote_code;
    info.reason = outcome.remote_reason;
  } else if (outcome.local_code != kNoCloseFrame) {
    // websocketpp closed on its own because the peer broke a rule (1009,
    // 1002, 1007); such closes drop TCP without waiting for an answer. Our
    // side closed, so a 1009 here is a frame of theirs we refused, never one
    // of ours they refused.
    info.initiator = CloseInitiator::Local;
    info.code = outcome.local_code;
    info.reason = outcome.local_reason;
  } else {
    info.initiator = CloseInitiator::Transport;
    info.code = kNoCloseFrame;
  }

  if (info.code == kMessageTooBig || outcome.local_code == kMessageTooBig ||
      outcome.remote_code == kMessageTooBig) {
    info.error = TransportError::MessageTooBig;
  } else if (outcome.request == LocalRequest::ProtocolClose || is_protocol_code(info.code)) {
    info.error = TransportError::ProtocolError;
  } else if (!info.clean) {
    info.error = TransportError::ConnectionLost;
  }
  if (!info.clean && outcome.error) info.detail = outcome.error.message();
  return info;
}

}  // namespace

CloseInfo classify_close(const ConnectionOutcome& outcome) {
  return outcome.stage == Stage::Open ? classify_open_end(outcome) : classify_failed_open(outcome);
}

CloseInfo aborted_close() {
  return transport_failure(TransportError::ConnectionLost, "aborted by this side");
}

CloseInfo timeout_close(int64_t timeout_ms) {
  return transport_failure(TransportError::Timeout,
                           "not open after " + std::to_string(timeout_ms) + " ms");
}

CloseInfo invalid_options_close(std::string detail) {
  return transport_failure(TransportError::InvalidOptions, std::move(detail));
}

CloseInfo closed_before_open(uint16_t code, std::string reason) {
  CloseInfo info;
  info.code = code;
  info.reason = std::move(reason);
  info.initiator = CloseInitiator::Local;
  info.detail = "closed before the connection opened";
  return info;
}

}  // namespace tether::transport::detail
