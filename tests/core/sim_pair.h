#pragma once
// A client core and a server core wired through a simulated link, in virtual
// time (after quinn-proto's test Pair). The link delays frames, can drop
// whole frames in flight, cut the connection, or black-hole it silently.
// advance() jumps from deadline to deadline, so hours of protocol time cost
// microseconds and every run is repeatable from its seed.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/client_session.h"
#include "core/jwt.h"
#include "core/rng.h"
#include "core/server_session.h"
#include "core/session_table.h"

namespace tether::test {

using namespace tether::core;

constexpr const char* kSecret = "test-secret";
// Virtual clock starts here; wall clock = virtual + kWallOffset.
constexpr TimeMs kStart = 1000;
constexpr int64_t kWallOffset = 1'700'000'000'000;

inline std::string make_token(const std::string& user, std::vector<std::string> permissions,
                              int64_t expires_at_unix_ms = 0) {
  TokenClaims claims;
  claims.subject = user;
  claims.permissions = std::move(permissions);
  claims.expires_at_ms = expires_at_unix_ms;
  claims.issued_at_ms = kWallOffset;
  return sign_hs256(claims, kSecret);
}

inline ClientConfig default_client_config() {
  ClientConfig config;
  config.token = make_token("alice", {"publish:*", "subscribe:*"});
  config.wall_clock_offset_ms = kWallOffset;
  config.backoff.initial_delay_ms = 100;
  config.backoff.max_delay_ms = 2000;
  config.backoff.max_attempts = 0;
  config.heartbeat.interval_ms = 1000;
  config.heartbeat.timeout_ms = 500;
  config.reliable.ack_timeout_ms = 400;
  config.reliable.max_retries = 20;
  return config;
}

inline ServerConfig default_server_config() {
  ServerConfig config;
  config.wall_clock_offset_ms = kWallOffset;
  config.reliable.ack_timeout_ms = 400;
  config.reliable.max_retries = 20;
  config.idle_timeout_ms = 5000;
  config.resume_ttl_ms = 60000;
  return config;
}

class SimPair {
 public:
  struct Frame {
    TimeMs deliver_at;
    std::string text;  // the frame's bytes (a binary frame's too)
    bool is_close = false;
    uint16_t code = 0;
    FrameKind kind = FrameKind::Text;
  };
  struct Connection {
    std::unique_ptr<ServerSession> server;
    std::deque<Frame> to_server;
    std::deque<Frame> to_client;
    bool blackholed = false;  // frames vanish, nobody is told
    bool client_gone = false;  // the client no longer uses it
    bool server_gone = false;  // the server session saw handle_closed
  };

  SimPair(ClientConfig client_config = default_client_config(),
          ServerConfig server_config = default_server_config(), uint64_t seed = 1)
      : server_config(std::move(server_config)),
        authority(kSecret),
        table(seed * 7919 + 1),
        client(std::move(client_config), seed),
        rng_(seed * 104729 + 3) {}

  // ---- link controls ---------------------------------------------------
  TimeMs latency_ms = 10;       // one way
  double drop_rate = 0;         // probability a frame in flight is lost
  bool network_down = false;    // new connects fail after latency_ms
  TimeMs now = kStart;
  // The server's WebSocket layer: a client frame larger than this (0 = no
  // limit) closes the connection with 1009 before the session sees it.
  size_t server_ws_max_frame = 0;
  // false: the server omits maxFrame/maxBatch from auth_success, as a
  // server from before they were added would.
  bool server_advertises_limits = true;
  uint64_t too_big_closes = 0;
  // The client's WebSocket layer: a server frame larger than this (0 = no
  // limit) is refused; the client closes with 1009 (initiator Local).
  size_t client_ws_max_frame = 0;
  uint64_t client_too_big_closes = 0;
  // false: the client omits maxFrame from auth, as a client from before it
  // was added would.
  bool client_advertises_limits = true;
  // False: the client's auth loses its "binary" offer on the way, as if
  // either end were a v1 peer; the connection stays text only.
  bool client_offers_binary = true;

  // Both ends see an abnormal close (1006) at once; frames in flight are lost.
  void cut() {
    if (auto* c = current()) {
      c->to_server.clear();
      c->to_client.clear();
      close_server_side(*c);
      c->client_gone = true;
      current_ = 0;
      client.handle_closed(close_code::kAbnormal, "link cut", now);
      ++cuts;
    } else if (pending_open_at_ != kNever) {
      // A connect in progress fails.
      pending_open_at_ = kNever;
      client.handle_closed(close_code::kAbnormal, "link cut while connecting", now);
      ++cuts;
    }
  }
  // Frames on the current connection vanish from now on; no one is told.
  void blackhole() {
    if (auto* c = current()) c->blackholed = true;
  }

  // ---- server application hooks ----------------------------------------
  std::function<void(ServerSession&, ServerEvent&)> on_server_event;
  std::vector<ServerEvent> server_events;
  std::vector<ClientEvent> client_events;
  uint64_t cuts = 0;

  // ---- driving ---------------------------------------------------------
  void connect() {
    client.connect(now);
    pump();
  }

  // Runs everything due now, repeatedly, until quiet.
  void pump() {
    for (int guard = 0; guard < 1000; ++guard) {
      bool progressed = false;
      progressed |= pump_client_actions();
      progressed |= pump_open();
      progressed |= pump_transmits();
      progressed |= pump_deliveries();
      progressed |= pump_events();
      progressed |= pump_replaced();
      if (!progressed) break;
    }
    forget_finished_connections();
  }

  TimeMs next_time() const {
    TimeMs next = std::min({client.next_timeout(), pending_open_at_, pending_fail_at_, table.next_timeout()});
    for (const auto& entry : connections_) {
      const Connection& c = entry.second;
      if (c.server && !c.server_gone) next = std::min(next, c.server->next_timeout());
      if (!c.to_server.empty()) next = std::min(next, c.to_server.front().deliver_at);
      if (!c.to_client.empty()) next = std::min(next, c.to_client.front().deliver_at);
    }
    return next;
  }

  // Advances virtual time by `ms`, stopping at every deadline on the way.
  void advance(TimeMs ms) { advance_until(now + ms); }

  void advance_until(TimeMs end) {
    pump();
    for (;;) {
      const TimeMs next = next_time();
      if (next > end) break;
      now = std::max(now, next);
      fire_timeouts();
      pump();
    }
    now = std::max(now, end);
    fire_timeouts();
    pump();
  }

  // Advances until `done()` holds or `limit` ms pass. Returns done().
  bool run_until(const std::function<bool()>& done, TimeMs limit) {
    const TimeMs end = now + limit;
    pump();
    while (!done()) {
      const TimeMs next = next_time();
      if (next > end) {
        now = end;
        fire_timeouts();
        pump();
        return done();
      }
      now = std::max(now, next);
      fire_timeouts();
      pump();
    }
    return true;
  }

  ServerSession* server() {
    auto* c = current();
    return c ? c->server.get() : nullptr;
  }
  Connection* current() {
    auto it = connections_.find(current_);
    return it == connections_.end() ? nullptr : &it->second;
  }
  size_t connection_count() const { return connections_.size(); }

  ServerConfig server_config;
  Hs256Authority authority;
  SessionTable table;
  SessionScratch scratch;
  ClientSession client;

 private:
  void fire_timeouts() {
    client.handle_timeout(now);
    for (auto& entry : connections_) {
      Connection& c = entry.second;
      if (c.server && !c.server_gone) c.server->handle_timeout(now);
    }
    std::vector<std::shared_ptr<SessionState>> expired;
    table.expire(now, expired);
    if (now >= pending_fail_at_) {
      pending_fail_at_ = kNever;
      client.handle_closed(close_code::kAbnormal, "connection refused", now);
    }
  }

  bool pump_client_actions() {
    bool progressed = false;
    TransportAction action;
    while (client.poll_action(action)) {
      progressed = true;
      if (action.kind == TransportAction::Kind::Connect) {
        if (network_down) {
          pending_fail_at_ = now + latency_ms;
        } else {
          pending_open_at_ = now + 2 * latency_ms;  // TCP + WebSocket handshakes
        }
      } else if (auto* c = current()) {
        // The close frame follows whatever the client already sent.
        if (!c->blackholed) c->to_server.push_back({now + latency_ms, {}, true, action.code});
        c->client_gone = true;
        current_ = 0;
        pending_open_at_ = kNever;
      } else {
        pending_open_at_ = kNever;  // abort a connect in progress
      }
    }
    return progressed;
  }

  bool pump_open() {
    if (now < pending_open_at_) return false;
    pending_open_at_ = kNever;
    const uint64_t id = ++next_connection_id_;
    Connection& c = connections_[id];
    c.server = std::make_unique<ServerSession>(server_config, authority, table, scratch, id);
    current_ = id;
    c.server->handle_open(now);
    client.handle_open(now);
    return true;
  }

  void push_frame(Connection& c, std::deque<Frame>& queue, std::string&& text, FrameKind kind) {
    if (c.blackholed) return;
    if (drop_rate > 0 && rng_.next_unit() < drop_rate) return;
    queue.push_back({now + latency_ms, std::move(text), false, 0, kind});
  }

  bool pump_transmits() {
    bool progressed = false;
    std::string frame;
    FrameKind kind = FrameKind::Text;
    if (auto* c = current()) {
      while (client.poll_transmit(frame, kind)) {
        progressed = true;
        if (kind == FrameKind::Text && !client_advertises_limits) strip_client_limits(frame);
        if (kind == FrameKind::Text && !client_offers_binary) strip_binary_offer(frame);
        push_frame(*c, c->to_server, std::move(frame), kind);
      }
    } else {
      while (client.poll_transmit(frame, kind)) progressed = true;  // nowhere to go
    }
    for (auto& entry : connections_) {
      Connection& c = entry.second;
      if (!c.server || c.server_gone) continue;
      while (c.server->poll_transmit(frame, kind, now)) {
        progressed = true;
        if (kind == FrameKind::Text && !server_advertises_limits) strip_advertised_limits(frame);
        if (!c.client_gone) push_frame(c, c.to_client, std::move(frame), kind);
      }
      TransportAction action;
      while (c.server->poll_action(action)) {
        progressed = true;
        if (!c.client_gone && !c.blackholed) c.to_client.push_back({now + latency_ms, {}, true, action.code});
        close_server_side(c);
      }
    }
    return progressed;
  }

  bool pump_deliveries() {
    bool progressed = false;
    for (auto& entry : connections_) {
      const uint64_t id = entry.first;
      Connection& c = entry.second;
      while (!c.to_server.empty() && c.to_server.front().deliver_at <= now) {
        Frame f = std::move(c.to_server.front());
        c.to_server.pop_front();
        progressed = true;
        if (c.server_gone) continue;
        if (f.is_close) {
          close_server_side(c);
        } else if (server_ws_max_frame != 0 && f.text.size() > server_ws_max_frame) {
          ++too_big_closes;
          c.to_server.clear();
          if (!c.client_gone) c.to_client.push_back({now + latency_ms, {}, true, close_code::kTooBig});
          close_server_side(c);
        } else if (f.kind == FrameKind::Binary) {
          c.server->handle_binary(f.text, now);
        } else {
          c.server->handle_text(f.text, now);
        }
      }
      while (!c.to_client.empty() && c.to_client.front().deliver_at <= now) {
        Frame f = std::move(c.to_client.front());
        c.to_client.pop_front();
        progressed = true;
        if (c.client_gone || id != current_) continue;
        if (f.is_close) {
          c.client_gone = true;
          current_ = 0;
          client.handle_closed(f.code, "closed by server", now);
        } else if (client_ws_max_frame != 0 && f.text.size() > client_ws_max_frame) {
          ++client_too_big_closes;
          c.to_client.clear();
          c.client_gone = true;
          current_ = 0;
          if (!c.blackholed) c.to_server.push_back({now + latency_ms, {}, true, close_code::kTooBig});
          client.handle_closed(close_code::kTooBig, "frame too big", now, CloseInitiator::Local);
        } else if (f.kind == FrameKind::Binary) {
          client.handle_binary(f.text, now);
        } else {
          client.handle_text(f.text, now);
        }
      }
    }
    return progressed;
  }

  bool pump_events() {
    bool progressed = false;
    ClientEvent ce;
    while (client.poll_event(ce)) {
      progressed = true;
      client_events.push_back(std::move(ce));
    }
    for (auto& entry : connections_) {
      Connection& c = entry.second;
      if (!c.server) continue;
      ServerEvent se;
      while (c.server->poll_event(se)) {
        progressed = true;
        if (on_server_event) on_server_event(*c.server, se);
        server_events.push_back(std::move(se));
      }
    }
    return progressed;
  }

  bool pump_replaced() {
    bool progressed = false;
    uint64_t id = 0;
    while (table.poll_replaced(id)) {
      progressed = true;
      auto it = connections_.find(id);
      if (it != connections_.end() && !it->second.server_gone) it->second.server->close(close_code::kSessionReplaced, "session resumed elsewhere");
    }
    return progressed;
  }

  void forget_finished_connections() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      const Connection& c = it->second;
      const bool finished = c.server_gone && c.client_gone && c.to_server.empty() && c.to_client.empty();
      it = finished ? connections_.erase(it) : std::next(it);
    }
  }

  static void strip_advertised_limits(std::string& frame) {
    std::vector<Message> messages;
    std::vector<DecodeIssue> issues;
    CodecLimits limits;
    limits.max_frame_bytes = frame.size();
    if (decode_frame(frame, limits, messages, issues) != CodecError::None || messages.size() != 1 ||
        messages[0].type != MessageType::AuthSuccess) {
      return;
    }
    messages[0].max_frame = 0;
    messages[0].max_batch = 0;
    frame.clear();
    encode_message(messages[0], frame);
  }

  // Rewrites the client's auth as an older client would send it: `edit`
  // removes what that client did not have. Other frames pass unchanged.
  template <typename Edit>
  static void rewrite_auth(std::string& frame, Edit edit) {
    std::vector<Message> messages;
    std::vector<DecodeIssue> issues;
    CodecLimits limits;
    limits.max_frame_bytes = frame.size();
    if (decode_frame(frame, limits, messages, issues) != CodecError::None || messages.size() != 1 ||
        messages[0].type != MessageType::Auth) {
      return;
    }
    edit(messages[0]);
    frame.clear();
    encode_message(messages[0], frame);
  }
  static void strip_binary_offer(std::string& frame) {
    rewrite_auth(frame, [](Message& auth) { auth.binary = false; });
  }
  static void strip_client_limits(std::string& frame) {
    rewrite_auth(frame, [](Message& auth) { auth.max_frame = 0; });
  }

  void close_server_side(Connection& c) {
    if (c.server_gone) return;
    c.server_gone = true;
    c.server->handle_closed(now);
  }

  SeededRng rng_;
  std::map<uint64_t, Connection> connections_;
  uint64_t current_ = 0;
  uint64_t next_connection_id_ = 0;
  TimeMs pending_open_at_ = kNever;
  TimeMs pending_fail_at_ = kNever;
};

}  // namespace tether::test
