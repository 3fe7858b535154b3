#pragma once
// How a Server listens, authenticates and bounds its clients.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/server_session.h"

namespace tether::server {

struct ServerOptions {
  std::string host = "127.0.0.1";  // address to bind; "0.0.0.0" or "::" for every interface
  uint16_t port = 0;               // 0 = an ephemeral port, reported by Server::start()
  std::string jwt_secret;          // required: the HS256 secret tokens are signed with
  std::string tls_cert_file;       // PEM chain and key: both set = wss://, neither = ws://
  std::string tls_key_file;
  size_t max_connections = 10000;       // more handshakes get HTTP 503
  // Accepted sockets still in their TLS/WebSocket handshake; one more is
  // closed at once (a connect flood costs no buffers).
  size_t max_pending_handshakes = 1024;
  size_t max_message_bytes = 1 << 20;   // a bigger incoming frame closes with 1009; also caps outgoing frames
  // Bytes written to one connection and not yet taken by its socket. Past
  // it nothing more is written until it drains: deliveries wait in the
  // session (bounded by session.reliable.max_buffered_bytes, then 4008), and
  // a client that sends this much more meanwhile is a slow consumer (4008).
  size_t max_send_buffer_bytes = 4u << 20;
  // TCP accept to WebSocket open (TLS included); a slower client is dropped.
  int64_t handshake_timeout_ms = 10000;
  // A token without "exp" expires this long after its "iat" (or after it is
  // presented, if it has no iat either). 0 = such tokens never expire.
  int64_t max_token_lifetime_ms = int64_t{24} * 60 * 60 * 1000;
  // Auth and idle timeouts, resume TTL, reliable delivery and queue bounds.
  // limits.max_frame_bytes and wall_clock_offset_ms are set by the Server.
  core::ServerConfig session;
  // One line per event. Default: stderr. Lines never contain tokens or secrets.
  std::function<void(std::string_view line)> log;
};

// nullptr if `options` can be used, else a static description of the first problem.
const char* validate(const ServerOptions& options);

// "ws://host:port" or "wss://host:port" (IPv6 hosts in brackets).
std::string listen_url(const ServerOptions& options, uint16_t port);

}  // namespace tether::server
