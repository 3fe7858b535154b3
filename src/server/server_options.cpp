#include "server/server_options.h"

namespace tether::server {

namespace {
// Below this even an auth_success with a few permissions may not fit a frame.
constexpr size_t kMinMessageBytes = 1024;
}  // namespace

const char* validate(const ServerOptions& options) {
  if (options.host.empty()) return "host must not be empty";
  if (options.jwt_secret.empty()) return "a JWT secret is required";
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return "TLS needs both a certificate file and a key file";
  }
  if (options.max_connections == 0) return "max connections must be > 0";
  if (options.max_pending_handshakes == 0) return "max pending handshakes must be > 0";
  if (options.max_message_bytes < kMinMessageBytes) return "max message size must be >= 1024 bytes";
  if (options.max_send_buffer_bytes == 0) return "max send buffer bytes must be > 0";
  if (options.handshake_timeout_ms <= 0) return "handshake timeout must be > 0";
  if (options.max_token_lifetime_ms < 0) return "max token lifetime must be >= 0";
  return core::validate(options.session);
}

std::string listen_url(const ServerOptions& options, uint16_t port) {
  const bool secure = !options.tls_cert_file.empty();
  const bool ipv6 = options.host.find(':') != std::string::npos;
  std::string url = secure ? "wss://" : "ws://";
  url += ipv6 ? "[" + options.host + "]" : options.host;
  url += ":" + std::to_string(port);
  return url;
}

}  // namespace tether::server
