#pragma once
// The Tether server runtime: a core::ServerEndpoint (sessions, fan-out
// through a Broker, every per-client bound) driven over a
// transport::WsServer, with a timer per connection and Application hooks.
// It moves bytes and time; the protocol's decisions are the endpoint's.
//
// Thread safety: construct, call and destroy on the EventLoop's thread.
// No public function throws (the constructor only when out of memory).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/broker.h"
#include "core/jwt.h"
#include "core/server_endpoint.h"
#include "server/application.h"
#include "server/server_options.h"
#include "transport/event_loop.h"
#include "transport/ws_server.h"

namespace tether::server {

class LogLine;

// A snapshot of one session, for monitoring and tests.
struct SessionStats {
  std::string user_id;
  bool connected = false;  // false while parked, awaiting resume
  size_t queued = 0;       // messages not yet on the wire (offline, or beyond the in-flight window)
  size_t in_flight = 0;    // reliable messages sent and not yet acked
  size_t buffered_bytes = 0;  // channel + payload bytes queued or unacked (bounded: 4008 beyond)
  uint64_t delivered = 0;  // reliable messages the client acked
  uint64_t failed = 0;     // reliable messages that resolved otherwise
  size_t subscriptions = 0;   // channels subscribed (bounded by max_subscriptions)
  // Out-of-order reliable messages held from the client, in bytes
  // (core::held_bytes, bounded by max_receive_buffer_bytes), and how many were refused
  // (not acked, so resent) because that bound was reached.
  size_t receive_buffered_bytes = 0;
  uint64_t receive_buffer_refusals = 0;
  // Bytes written to the attached connection that its socket has not taken
  // yet (the transport's count, beyond the write in progress). Writing stops
  // at max_send_buffer_bytes; 0 while parked.
  size_t send_buffered_bytes = 0;
};

// Wire totals since start, for monitoring (with the endpoint's counters).
struct TrafficCounters {
  uint64_t frames_in = 0;
  uint64_t bytes_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_out = 0;
};

class Server {
 public:
  // `app` (optional) must outlive the Server. `broker` defaults to a LocalBroker.
  Server(transport::EventLoop& loop, ServerOptions options, Application* app = nullptr,
         std::unique_ptr<core::Broker> broker = nullptr);
  // Drops every connection at once, without close handshakes or hooks.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Validates the options and starts listening. Returns the bound port.
  // Errors: the transport's ListenError; invalid options come back as
  // BindFailed with `detail` saying which; a second call as AlreadyListening.
  transport::ListenResult start() noexcept;

  // Queues an application message for one session (e.g. a reply), whether
  // its client is connected or parked (it is delivered on resume). `data`
  // must be one JSON value, or any bytes with PayloadKind::Binary (a client
  // that did not negotiate binary is told with an error instead). Returns
  // false for an unknown session, invalid channel or data, or a full buffer
  // (the session is then dropped as a slow consumer, close code 4008).
  bool send_to_session(std::string_view session_id, std::string_view channel, std::string_view data,
                       bool reliable, core::PayloadKind payload = core::PayloadKind::Json) noexcept;

  // App-originated fan-out to every subscriber of `channel`. Returns false
  // for an invalid channel (not 1..256 bytes of UTF-8 without NUL) or data
  // (not one JSON value, unless Binary), or a message whose delivery would
  // not fit in a frame.
  bool publish(std::string_view channel, std::string_view data, bool reliable,
               core::PayloadKind payload = core::PayloadKind::Json) noexcept;

  // Closes every connection with `code`, stops listening and ends every
  // session (on_session_ended). The loop keeps running until the close
  // handshakes finish: wait for connection_count() == 0 if you want them to.
  void shutdown(uint16_t code = core::close_code::kGoingAway) noexcept;

  // Graceful restart: like shutdown(), but sessions are kept, not ended, so
  // save_state() can persist them (with the application's state) for the
  // next process, whose clients then resume as if nothing happened.
  void shutdown_for_restart(uint16_t code = core::close_code::kGoingAway) noexcept;
  std::string save_state() noexcept;

  // A cluster node leaving (SIGTERM with --redis): stops listening, then
  // closes each connection with 1001 at a random moment within `spread_ms`,
  // so its clients move to the other nodes in a trickle, not a storm.
  // Sessions are kept. The process exits once connection_count() is 0.
  void drain(int64_t spread_ms) noexcept;

  // What a health check reports (tether-server --metrics-listen /healthz).
  enum class Health : uint8_t {
    NotReady,  // not listening yet, stopping, or the broker cannot route (Redis down)
    Ready,
    Draining,  // drain() began: send no new clients here
  };
  Health health() const noexcept;
  const TrafficCounters& traffic() const noexcept { return traffic_; }
  // The endpoint's totals; all zero before start().
  core::EndpointCounters counters() const noexcept;
  // Before start(): restores sessions parked for their resume TTL and the
  // application's state. Returns "" on success, else why nothing changed.
  std::string load_state(std::string_view state) noexcept;

  size_t connection_count() const noexcept { return endpoint_ ? endpoint_->connection_count() : 0; }
  // Sessions known to the server: attached and parked.
  size_t session_count() const noexcept { return endpoint_ ? endpoint_->session_count() : 0; }
  std::optional<SessionStats> session_stats(std::string_view session_id) const noexcept;

 private:
  using ConnectionId = transport::ConnectionId;
  struct ConnectionTimer {
    transport::TimerId timer = transport::kNoTimer;
    core::TimeMs at = core::kNever;  // when `timer` fires
  };

  transport::ServerHandlers transport_handlers();
  // The endpoint is made at start() or load_state(), whichever comes first.
  const char* make_endpoint();
  void on_open(ConnectionId id, std::string_view remote_address);
  void on_frame(ConnectionId id, std::string_view frame, core::FrameKind kind);
  bool on_ping(ConnectionId id, size_t bytes);  // whether to answer a WebSocket ping
  void on_closed(ConnectionId id, const transport::CloseInfo& info);
  void on_writable(ConnectionId id);
  void on_timer(ConnectionId id);

  // After every call into the endpoint: its events, then (now or at the
  // end of this loop turn) its dirty connections.
  void drain_events();
  void handle_event(const core::EndpointEvent& event);
  void schedule_flush();
  void flush_dirty();
  void flush(ConnectionId id, core::TimeMs now);
  void rearm_timer(ConnectionId id, core::TimeMs now);
  void schedule_sweep();

  int64_t wall_clock_ms() const { return loop_.now_ms() + options_.session.wall_clock_offset_ms; }
  template <typename Hook>
  void call_app(const char* hook, Hook&& call) noexcept;
  template <typename Body>
  void guarded(const char* where, Body&& body) noexcept;
  void log(const LogLine& line) noexcept;

  transport::EventLoop& loop_;
  ServerOptions options_;
  Application* app_;
  std::unique_ptr<core::Broker> broker_;  // until the endpoint takes it
  std::unique_ptr<core::TokenAuthority> authority_;
  std::unique_ptr<core::ServerEndpoint> endpoint_;
  std::unordered_map<ConnectionId, ConnectionTimer> timers_;
  std::string frame_;  // reused by flush()
  bool flush_posted_ = false;
  bool draining_events_ = false;  // drain_events() is on the stack
  bool started_ = false;
  bool stopping_ = false;
  bool draining_ = false;
  TrafficCounters traffic_;
  uint16_t shutdown_code_ = core::close_code::kGoingAway;
  transport::TimerId sweep_timer_ = transport::kNoTimer;
  // Posted tasks and timers hold a weak reference: they may outlive us.
  std::shared_ptr<char> lifetime_ = std::make_shared<char>();
  transport::WsServer ws_;  // last: destroyed first, before what its connections use
};

}  // namespace tether::server
