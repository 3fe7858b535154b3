// The server endpoint (core::ServerEndpoint: sessions, fan-out, slow
// consumers, every bound) driven in virtual time by arbitrary client frames,
// with the runtime's part done here as src/server does it.
//
// Input: the first byte's low bit set means every new connection first
// authenticates as alice with a harness-signed token (resuming the last
// session, if any); the fuzzer can still send its own `auth`. Its second
// bit routes client publishes through the host (publishes_to_host), as
// tether-server with an application does; its third makes that auth offer
// binary frames. Then a script (harness.h) with these transport events:
//   !drop      the connection drops; the client reconnects on a new one
//              (as it does before its next frame after the server closed it)
//   !open      the client opens another connection, the old one stays up
//   !block     the current connection's socket stops taking output (!unblock)
//   !restart   graceful restart: every connection closes 1001, the endpoint
//              goes through snapshot/restore, a client reconnects
//   %BYTES     the rest of the line arrives as a binary frame
// Checked: every frame the server sends decodes cleanly, a restart restores
// every session it saved, and a session's buffer never passes its bound.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/server_endpoint.h"
#include "harness.h"

using namespace tether::fuzz;

namespace {

// Small bounds, so the fuzzer reaches every limit with short inputs.
EndpointConfig fuzz_config(bool publishes_to_host) {
  EndpointConfig config;
  ServerConfig& session = config.session;
  session.wall_clock_offset_ms = kWallOffset;
  session.idle_timeout_ms = 5000;
  session.resume_ttl_ms = 60000;
  session.receive_window = 16;
  session.limits.max_batch = 16;
  session.limits.max_depth = 8;
  session.reliable.ack_timeout_ms = 400;
  session.reliable.queue_max_messages = 32;
  session.reliable.queue_max_bytes = 2048;
  session.reliable.max_buffered_bytes = 2048;
  session.client_limits.max_receive_buffer_bytes = 2048;
  session.client_limits.max_subscriptions = 4;
  config.max_unanswered_bytes = 1024;
  config.max_error_reports = 4;
  config.publishes_to_host = publishes_to_host;
  FUZZ_CHECK(validate(config) == nullptr, "the harness's server config is invalid");
  return config;
}

constexpr size_t kMaxConnections = 16;

class ServerHarness {
 public:
  ServerHarness(bool auto_auth, bool publishes_to_host, bool offer_binary)
      : config_(fuzz_config(publishes_to_host)),
        authority_(kFuzzSecret, 0, 0, 3'600'000),
        auto_auth_(auto_auth),
        offer_binary_(offer_binary) {
    endpoint_ = std::make_unique<ServerEndpoint>(config_, authority_, 42);
  }

  void run(std::string_view script) {
    connect();
    for (std::string_view line : lines_of(script)) {
      if (line[0] == '@') {
        advance(parse_advance(line));
      } else if (line == "!drop") {
        drop(current());
        connect();
      } else if (line == "!open") {
        connect();
      } else if (line == "!block" || line == "!unblock") {
        if (Connection* c = current(); c != nullptr && c->open) {
          c->writable = line == "!unblock";
          endpoint_->set_writable(c->id, c->writable);
        }
      } else if (line == "!restart") {
        restart();
      } else if (line[0] == '%') {
        if (current() == nullptr || !current()->open) connect();
        if (Connection* c = current(); c != nullptr && c->open) {
          endpoint_->set_writable(c->id, c->writable);
          endpoint_->handle_binary(c->id, line.substr(1), now_);
        }
      } else {
        // A client whose connection was closed reconnects before sending more.
        if (current() == nullptr || !current()->open) connect();
        if (Connection* c = current(); c != nullptr && c->open) {
          endpoint_->set_writable(c->id, c->writable);
          endpoint_->handle_text(c->id, expand(line, last_session_), now_);
        }
      }
      flush();
    }
    for (int i = 0; i < 8; ++i) advance(-1);  // let retries, idle and expiry run
    for (Connection& c : connections_) drop(&c);
    flush();
  }

 private:
  struct Connection {
    ConnectionId id = 0;
    bool open = false;
    bool writable = true;
  };

  Connection* current() { return connections_.empty() ? nullptr : &connections_.back(); }
  Connection* find(ConnectionId id) {
    return id != 0 && id <= connections_.size() ? &connections_[id - 1] : nullptr;
  }

  void connect() {
    if (connections_.size() >= kMaxConnections) return;
    connections_.push_back({connections_.size() + 1, true, true});
    const ConnectionId id = connections_.back().id;
    endpoint_->handle_open(id, now_);
    if (!auto_auth_) return;
    std::string auth = R"({"type":"auth","token":")" + Tokens::get().alice + "\"";
    if (!last_session_.empty()) auth += R"(,"session":")" + last_session_ + R"(","lastSeq":0)";
    if (offer_binary_) auth += R"(,"binary":true)";
    endpoint_->handle_text(id, auth + "}", now_);
    flush();
  }

  void drop(Connection* c) {
    if (c == nullptr || !c->open) return;
    c->open = false;
    endpoint_->handle_closed(c->id, now_);
  }

  // A graceful restart with --state-file, in virtual time.
  void restart() {
    endpoint_->close_all(close_code::kGoingAway, "restart");
    flush();
    for (Connection& c : connections_) drop(&c);
    flush();
    const std::string saved = endpoint_->snapshot("app");
    const size_t sessions = endpoint_->session_count();
    connections_.clear();
    endpoint_ = std::make_unique<ServerEndpoint>(config_, authority_, 43);
    const RestoreResult restored = endpoint_->restore(saved, now_);
    FUZZ_CHECK(restored.ok && restored.app_state == "app", "a snapshot the server wrote did not load");
    FUZZ_CHECK(restored.restored == sessions, "a restart lost sessions");
    connect();
  }

  // "@N" (or, for a negative `ms`, the next deadline): deadlines fire in
  // order on the way, as a runtime's timers would.
  void advance(TimeMs ms) {
    const TimeMs target = ms < 0 ? next_timeout() : add_saturating(now_, ms);
    if (target == kNever) return;
    for (int guard = 0; guard < 64; ++guard) {
      const TimeMs next = next_timeout();
      if (next > target) break;
      fire(std::max(now_, next));
    }
    fire(std::max(now_, target));
  }

  TimeMs next_timeout() const {
    TimeMs next = endpoint_->next_expiry();
    for (const Connection& c : connections_) {
      if (c.open) next = std::min(next, endpoint_->next_timeout(c.id));
    }
    return next;
  }

  void fire(TimeMs now) {
    now_ = now;
    for (Connection& c : connections_) {
      if (c.open) endpoint_->handle_timeout(c.id, now_);
    }
    endpoint_->expire_sessions(now_);
    flush();
  }

  // What src/server does at the end of a loop turn: events (client
  // publishes passed on), then every dirty connection's output and closes.
  void flush() {
    for (int guard = 0; guard < 16; ++guard) {
      EndpointEvent event;
      while (endpoint_->poll_event(event)) {
        if (event.kind == EndpointEvent::Kind::Publish) {
          endpoint_->publish(event.channel, event.data, event.reliable, now_, event.payload);
        }
        if (event.session) check_bounds(*event.session);
        if (event.kind == EndpointEvent::Kind::Authenticated && event.session) last_session_ = event.session->id;
      }
      ConnectionId id = 0;
      bool any = false;
      while (endpoint_->poll_dirty(id)) {
        any = true;
        flush_connection(id);
      }
      if (!any) break;
    }
  }

  void flush_connection(ConnectionId id) {
    Connection* c = find(id);
    if (c == nullptr || !c->open) return;
    std::string frame;
    FrameKind kind = FrameKind::Text;
    endpoint_->set_writable(id, c->writable);
    while (endpoint_->poll_transmit(id, frame, kind, now_)) check_sent_frame(frame, kind);
    TransportAction action;
    while (endpoint_->poll_action(id, action)) {
      if (action.kind == TransportAction::Kind::Close) drop(c);
    }
    if (auto state = endpoint_->find_session(last_session_)) check_bounds(*state);
  }

  void check_bounds(const SessionState& state) {
    FUZZ_CHECK(state.sender.buffered_bytes() <= config_.session.reliable.max_buffered_bytes,
               "a session holds more than its buffer bound");
  }

  EndpointConfig config_;
  Hs256Authority authority_;
  std::unique_ptr<ServerEndpoint> endpoint_;
  std::vector<Connection> connections_;
  TimeMs now_ = kStart;
  bool auto_auth_;
  bool offer_binary_;
  std::string last_session_;  // the id a reconnecting client resumes ($session)
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ServerHarness harness((data[0] & 1) != 0, (data[0] & 2) != 0, (data[0] & 4) != 0);
  harness.run(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
