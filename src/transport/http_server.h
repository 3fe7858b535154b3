#pragma once
// A small HTTP server on the EventLoop for operations endpoints (health
// checks, metrics): websocketpp parses the requests, the handler answers
// each GET or HEAD. WebSocket upgrades, bodies and other methods are
// refused. Bounded: at most kMaxHttpConnections at once (more are closed at
// once), and a request must arrive within kHttpRequestTimeoutMs.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "transport/event_loop.h"
#include "transport/ws_server.h"

namespace tether::transport {

inline constexpr std::size_t kMaxHttpConnections = 64;
inline constexpr int64_t kHttpRequestTimeoutMs = 5000;

struct HttpResponse {
  uint16_t status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the loop thread for each GET or HEAD; `path` is the request
// target without its query string. Must not throw (a throw answers 500).
using HttpHandler = std::function<HttpResponse(std::string_view method, std::string_view path)>;

// Thread safety: construct, call and destroy on the loop thread.
class HttpServer {
 public:
  HttpServer(EventLoop& loop, HttpHandler handler);
  // Stops listening and drops open connections; safe with requests in flight.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `host` (an IP address or a name resolved once) and `port` (0: an
  // ephemeral one, reported in the result).
  ListenResult listen(const std::string& host, uint16_t port) noexcept;
  void stop_listening() noexcept;

 private:
  class Impl;
  EventLoop* loop_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tether::transport
