// The server endpoint: ServerSessions sharing a SessionTable, driven in
// virtual time by arbitrary client frames, with the fan-out the runtime
// does (src/server/server.cpp) so acks, resumes and slow consumers are real.
//
// Input: the first byte's low bit set means every new connection first
// authenticates as alice with a harness-signed token (resuming the last
// session, if any); the fuzzer can still send its own `auth`. Then a script
// (harness.h) with these transport events:
//   !drop      the connection drops; the client reconnects on a new one
//              (as it does before its next frame after the server closed it)
//   !open      the client opens another connection, the old one stays up
//   !restart   graceful restart: every connection closes 1001, the table
//              goes through snapshot_sessions/restore_sessions, a client reconnects
// Checked: every frame the server sends decodes cleanly, and a restart
// restores every session it saved.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "core/server_session.h"
#include "core/session_snapshot.h"
#include "core/session_table.h"
#include "harness.h"

using namespace tether::fuzz;

namespace {

// Small bounds, so the fuzzer reaches every limit with short inputs.
ServerConfig fuzz_config() {
  ServerConfig config;
  config.wall_clock_offset_ms = kWallOffset;
  config.idle_timeout_ms = 5000;
  config.resume_ttl_ms = 60000;
  config.receive_window = 16;
  config.limits.max_batch = 16;
  config.limits.max_depth = 8;
  config.reliable.ack_timeout_ms = 400;
  config.reliable.queue_max_messages = 32;
  config.reliable.queue_max_bytes = 2048;
  config.reliable.max_buffered_bytes = 2048;
  config.client_limits.max_receive_buffer_bytes = 2048;
  config.client_limits.max_subscriptions = 4;
  FUZZ_CHECK(validate(config) == nullptr, "the harness's server config is invalid");
  return config;
}

constexpr size_t kMaxConnections = 16;

class ServerHarness {
 public:
  explicit ServerHarness(bool auto_auth)
      : config_(fuzz_config()), authority_(kFuzzSecret, 0, 0, 3'600'000), auto_auth_(auto_auth) {
    table_ = std::make_unique<SessionTable>(42);
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
      } else if (line == "!restart") {
        restart();
      } else {
        // A client whose connection was closed reconnects before sending more.
        if (current() == nullptr || !current()->open) connect();
        if (current()->open) current()->session->handle_text(expand(line, last_session_), now_);
      }
      flush();
    }
    for (int i = 0; i < 8; ++i) advance(-1);  // let retries, idle and expiry run
    for (Connection& c : connections_) drop(&c);
    flush();
  }

 private:
  struct Connection {
    std::unique_ptr<ServerSession> session;
    bool open = false;
  };

  Connection* current() { return connections_.empty() ? nullptr : &connections_.back(); }

  void connect() {
    if (connections_.size() >= kMaxConnections) return;
    connections_.push_back({std::make_unique<ServerSession>(config_, authority_, *table_, connections_.size() + 1), true});
    Connection& c = connections_.back();
    c.session->handle_open(now_);
    if (!auto_auth_) return;
    std::string auth = R"({"type":"auth","token":")" + Tokens::get().alice + "\"";
    if (!last_session_.empty()) auth += R"(,"session":")" + last_session_ + R"(","lastSeq":0)";
    c.session->handle_text(auth + "}", now_);
    flush();
  }

  void drop(Connection* c) {
    if (c == nullptr || !c->open) return;
    c->open = false;
    c->session->handle_closed(now_);
  }

  // A graceful restart with --state-file, in virtual time.
  void restart() {
    for (Connection& c : connections_) {
      if (c.open) c.session->close(close_code::kGoingAway, "restart");
    }
    flush();
    for (Connection& c : connections_) drop(&c);
    const std::string saved = snapshot_sessions(*table_, "app");
    const size_t sessions = table_->size();
    connections_.clear();
    table_ = std::make_unique<SessionTable>(43);
    const RestoreResult restored =
        restore_sessions(saved, *table_, config_.reliable, config_.receive_window, now_, config_.resume_ttl_ms);
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
    TimeMs next = table_->next_timeout();
    for (const Connection& c : connections_) {
      if (c.open) next = std::min(next, c.session->next_timeout());
    }
    return next;
  }

  void fire(TimeMs now) {
    now_ = now;
    for (Connection& c : connections_) {
      if (c.open) c.session->handle_timeout(now_);
    }
    std::vector<std::shared_ptr<SessionState>> expired;
    table_->expire(now_, expired);
    for (const auto& state : expired) {
      state->sender.fail_all(SendOutcome::Closed);
      state->drain_resolutions();
    }
    flush();
  }

  // Routes events until quiet, then sends everything and acts on closes.
  void flush() {
    for (int guard = 0; guard < 16 && route_events(); ++guard) {
    }
    uint64_t replaced = 0;
    while (table_->poll_replaced(replaced)) {
      if (replaced - 1 < connections_.size() && connections_[replaced - 1].open) {
        connections_[replaced - 1].session->close(close_code::kSessionReplaced, "resumed elsewhere");
      }
    }
    std::string frame;
    TransportAction action;
    for (Connection& c : connections_) {
      while (c.session->poll_transmit(frame, now_)) check_sent_frame(frame);
      while (c.session->poll_action(action)) {
        if (action.kind == TransportAction::Kind::Close) drop(&c);
      }
      if (c.open && c.session->authenticated()) last_session_ = c.session->state()->id;
    }
  }

  bool route_events() {
    bool any = false;
    ServerEvent event;
    for (Connection& c : connections_) {
      while (c.session->poll_event(event)) {
        any = true;
        if (event.kind == ServerEvent::Kind::Publish) fan_out(event);
      }
    }
    return any;
  }

  // Every subscribed session gets it, parked ones included; a full buffer
  // ends that session as a slow consumer, as the runtime does.
  void fan_out(const ServerEvent& event) {
    for (const std::shared_ptr<SessionState>& state : table_->all()) {
      if (state->subscriptions.count(event.channel) == 0) continue;
      if (state->enqueue(event.channel, event.data, event.reliable, now_ + kWallOffset)) continue;
      const uint64_t owner = state->owner_connection;
      if (owner != 0 && owner - 1 < connections_.size()) {
        connections_[owner - 1].session->close(close_code::kSlowConsumer, "slow consumer", true);
      }
      if (table_->find(state->id)) {
        state->sender.fail_all(SendOutcome::Overflow);
        state->drain_resolutions();
        table_->remove(state->id);
      }
    }
  }

  ServerConfig config_;
  Hs256Authority authority_;
  std::unique_ptr<SessionTable> table_;
  // A deque: sessions hold no pointers into it, but the harness does.
  std::deque<Connection> connections_;
  TimeMs now_ = kStart;
  bool auto_auth_;
  std::string last_session_;  // the id a reconnecting client resumes ($session)
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ServerHarness harness((data[0] & 1) != 0);
  harness.run(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
