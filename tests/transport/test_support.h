#pragma once
// Shared helpers for the transport tests: running the loop until a condition
// holds, handlers that record what happened, an echo server, raw sockets.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "transport/event_loop.h"
#include "transport/ws_client.h"
#include "transport/ws_server.h"

namespace tether::transport::test {

// Generous: CI machines are slow; passing tests never wait this long.
constexpr int64_t kDeadlineMs = 10000;

// Runs the loop until `done()` holds or `timeout_ms` passes; returns done().
// A short ticking timer keeps the loop waking up, so conditions outside it
// (a raw socket, a clock) are noticed too.
bool run_until(EventLoop& loop, const std::function<bool()>& done, int64_t timeout_ms = kDeadlineMs);

// Records a client's events. Checks on destruction that no connection was
// reported closed twice.
struct ClientLog {
  ClientLog() = default;
  ClientLog(const ClientLog&) = delete;
  ClientLog& operator=(const ClientLog&) = delete;
  ~ClientLog();

  ClientHandlers handlers();
  bool is_open(ConnectionId id) const;
  bool is_closed(ConnectionId id) const { return closed.count(id) != 0; }

  std::vector<ConnectionId> opened;
  std::vector<std::string> texts;
  std::map<ConnectionId, CloseInfo> closed;
  int repeated_closes = 0;
};

// Records a server's events, like ClientLog.
struct ServerLog {
  ServerLog() = default;
  ServerLog(const ServerLog&) = delete;
  ServerLog& operator=(const ServerLog&) = delete;
  ~ServerLog();

  ServerHandlers handlers(std::function<void(ConnectionId, std::string_view)> on_text = nullptr);

  std::vector<std::pair<ConnectionId, std::string>> opened;  // id, remote address
  std::vector<std::string> texts;
  std::map<ConnectionId, CloseInfo> closed;
  int repeated_closes = 0;
};

// Listen options as Tether uses them: subprotocol "tether.v1".
ServerListenOptions echo_options();

// A WsServer that echoes every text frame, listening on 127.0.0.1:<ephemeral>.
class EchoServer {
 public:
  explicit EchoServer(EventLoop& loop, ServerListenOptions options = echo_options());
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  std::string url(const std::string& host = "127.0.0.1") const;
  ConnectionId only_connection() const;  // the single open connection's id

  ServerLog log;
  WsServer server;
  uint16_t port = 0;
  bool secure = false;
};

// Client options as Tether uses them: offering subprotocol "tether.v1".
ClientConnectOptions options_for(const std::string& url);

// A TCP listener that never accepts or answers: connections to it hang in
// the TLS or WebSocket handshake. POSIX sockets: tests only.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  uint16_t port() const { return port_; }
  // Accepts pending connections; true once `count` peers have sent bytes.
  bool peers_sent_data(std::size_t count);
  // True once every accepted peer has closed its end.
  bool peers_closed();

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::vector<int> peers_;
  std::vector<bool> peer_sent_;
  std::vector<bool> peer_closed_;
  void accept_pending();
};

// A port on 127.0.0.1 that nothing listens on (bound, then released).
uint16_t closed_port();

// Milliseconds since `since` on the steady clock.
inline int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace tether::transport::test
