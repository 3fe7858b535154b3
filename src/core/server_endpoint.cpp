#include "core/server_endpoint.h"

#include <algorithm>
#include <utility>

#include "core/local_broker.h"
#include "core/server_endpoint_connection.h"

namespace tether::core {

const char* validate(const EndpointConfig& config) {
  if (const char* problem = validate(config.session)) return problem;
  if (config.max_unanswered_bytes == 0) return "max unanswered bytes must be > 0";
  if (config.error_report_window_ms <= 0) return "error report window must be > 0";
  return nullptr;
}

const char* session_end_name(SessionEnd end) {
  switch (end) {
    case SessionEnd::Expired: return "expired";
    case SessionEnd::SlowConsumer: return "slow_consumer";
    case SessionEnd::Shutdown: return "shutdown";
  }
  return "unknown";
}

ServerEndpoint::ServerEndpoint(EndpointConfig config, const TokenAuthority& authority,
                               std::function<std::string()> id_source, std::unique_ptr<Broker> broker)
    : config_(std::move(config)),
      authority_(authority),
      table_(std::move(id_source)),
      broker_(broker ? std::move(broker) : std::make_unique<LocalBroker>()) {
  bind_broker();
}

ServerEndpoint::ServerEndpoint(EndpointConfig config, const TokenAuthority& authority, uint64_t id_seed,
                               std::unique_ptr<Broker> broker)
    : config_(std::move(config)),
      authority_(authority),
      table_(id_seed),
      broker_(broker ? std::move(broker) : std::make_unique<LocalBroker>()) {
  bind_broker();
}

ServerEndpoint::~ServerEndpoint() = default;

void ServerEndpoint::bind_broker() {
  config_.session.async_commits = broker_->commits_async();
  config_.session.async_subscriptions = broker_->confirms_subscriptions();
  config_.session.cluster_sessions = broker_->recovers_sessions();
  BrokerCallbacks callbacks;
  callbacks.deliver = [this](const std::string& session_id, const Delivery& delivery) {
    deliver(session_id, delivery);
  };
  callbacks.commit = [this](const std::string& session_id, uint64_t seq, CommitResult result) {
    handle_commit(session_id, seq, result);
  };
  callbacks.subscribed = [this](const std::string& session_id, const std::string& channel,
                                const ChannelPosition& start) {
    const SessionPtr session = table_.find(session_id);
    Connection* connection = session ? find(session->owner_connection) : nullptr;
    if (connection == nullptr) return;  // parked: a resume re-confirms nothing; the subscription stands
    connection->session.confirm_subscription(channel, start);
    mark_dirty(*connection);
  };
  callbacks.notice = [this](const std::string& session_id, const Notice& notice) {
    const SessionPtr session = table_.find(session_id);
    Connection* connection = session ? find(session->owner_connection) : nullptr;
    if (connection == nullptr) return;  // parked: what it missed is the resume's business
    connection->session.notify(notice);
    mark_dirty(*connection);
  };
  callbacks.claimed = [this](const std::string& session_id, const SessionClaim& claim) {
    handle_claimed(session_id, claim);
  };
  broker_->bind(std::move(callbacks));
}

// ---- transport events ---------------------------------------------------

void ServerEndpoint::handle_open(ConnectionId id, TimeMs now) {
  if (id == 0 || connections_.count(id) != 0) return;
  now_ = now;
  wall_now_ = now + config_.session.wall_clock_offset_ms;
  auto owned = std::make_unique<Connection>(config_.session, authority_, table_, scratch_, id);
  Connection& connection = *owned;
  connections_.emplace(id, std::move(owned));
  connection.error_window_start = now;
  connection.session.handle_open(now);
  mark_dirty(connection);  // its auth deadline is new
}

void ServerEndpoint::handle_text(ConnectionId id, std::string_view text, TimeMs now) {
  handle_frame(id, text, FrameKind::Text, now);
}

void ServerEndpoint::handle_binary(ConnectionId id, std::string_view bytes, TimeMs now) {
  handle_frame(id, bytes, FrameKind::Binary, now);
}

void ServerEndpoint::handle_frame(ConnectionId id, std::string_view frame, FrameKind kind, TimeMs now) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  now_ = now;
  wall_now_ = now + config_.session.wall_clock_offset_ms;
  if (!admit_input(*connection, frame.size())) return;
  if (kind == FrameKind::Binary) {
    connection->session.handle_binary(frame, now);
  } else {
    connection->session.handle_text(frame, now);
  }
  route_events(*connection, now);
  over_unanswered_bound(*connection);  // its error replies may have crossed the bound
  close_replaced_connections();
  mark_dirty(*connection);  // replies, and the idle deadline moved
}

bool ServerEndpoint::handle_ping(ConnectionId id, size_t payload_bytes, size_t queued_bytes, TimeMs now) {
  // An empty pong held by websocketpp was measured at about 220 bytes.
  constexpr size_t kQueuedPongBytes = 256;
  Connection* connection = find(id);
  if (connection == nullptr) return false;
  now_ = now;
  wall_now_ = now + config_.session.wall_clock_offset_ms;
  if (connection->dropped_for_not_reading) return false;
  const TimeMs refill = (now - connection->ping_tokens_at) * kAnsweredPingsPerSecond / 1000;
  if (refill > 0) {
    connection->ping_tokens = static_cast<uint32_t>(
        std::min<TimeMs>(kAnsweredPingsPerSecond, connection->ping_tokens + refill));
    connection->ping_tokens_at = now;
  }
  if (connection->ping_tokens == 0) {
    ++counters_.pings_unanswered;
    return false;
  }
  --connection->ping_tokens;
  // A queue that did not grow since the last ping was written from: the
  // pongs counted so far have left.
  if (queued_bytes <= connection->queued_at_last_ping) connection->queued_pong_bytes = 0;
  connection->queued_at_last_ping = queued_bytes;
  connection->queued_pong_bytes += kQueuedPongBytes + payload_bytes;
  if (connection->queued_pong_bytes <= config_.max_unanswered_bytes) return true;
  drop_for_not_reading(*connection);
  return false;
}

void ServerEndpoint::handle_closed(ConnectionId id, TimeMs now) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  now_ = now;
  forget_claim(connection);
  connection.session.handle_closed(now);  // parks an attached session for resume
  route_events(connection, now);
  report_suppressed_errors(connection);
  connections_.erase(it);  // a stale dirty_ entry is skipped by poll_dirty
}

void ServerEndpoint::handle_timeout(ConnectionId id, TimeMs now) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  now_ = now;
  wall_now_ = now + config_.session.wall_clock_offset_ms;
  connection->session.handle_timeout(now);
  route_events(*connection, now);
  mark_dirty(*connection);  // resends, pings' answers, or a close; and the next deadline
}

void ServerEndpoint::set_writable(ConnectionId id, bool writable) {
  Connection* connection = find(id);
  if (connection == nullptr || connection->writable == writable) return;
  connection->writable = writable;
  if (writable) {
    connection->unanswered_bytes = 0;
    mark_dirty(*connection);  // what waited in its session can go now
  }
}

// ---- output -------------------------------------------------------------

bool ServerEndpoint::poll_dirty(ConnectionId& id) {
  complete_claims();
  finish_ended_sessions();
  while (dirty_read_ < dirty_.size()) {
    const ConnectionId candidate = dirty_[dirty_read_++];
    Connection* connection = find(candidate);
    if (connection == nullptr || !connection->dirty) continue;  // closed since
    connection->dirty = false;
    id = candidate;
    return true;
  }
  dirty_.clear();
  dirty_read_ = 0;
  return false;
}

bool ServerEndpoint::poll_transmit(ConnectionId id, std::string& frame, FrameKind& kind, TimeMs now) {
  Connection* connection = find(id);
  // Taking nothing from a blocked connection's session leaves its
  // deliveries in the session's queue, where they count against its bound.
  if (connection == nullptr || !connection->writable) return false;
  return connection->session.poll_transmit(frame, kind, now);
}

bool ServerEndpoint::poll_action(ConnectionId id, TransportAction& action) {
  Connection* connection = find(id);
  return connection != nullptr && connection->session.poll_action(action);
}

TimeMs ServerEndpoint::next_timeout(ConnectionId id) const {
  const Connection* connection = find(id);
  return connection == nullptr ? kNever : connection->session.next_timeout();
}

bool ServerEndpoint::poll_event(EndpointEvent& event) {
  complete_claims();
  finish_ended_sessions();
  return events_.poll(event);
}

// ---- routing ------------------------------------------------------------

void ServerEndpoint::route_events(Connection& connection, TimeMs now) {
  ServerEvent event;
  while (connection.session.poll_event(event)) route(connection, event, now);
}

void ServerEndpoint::route(Connection& connection, ServerEvent& event, TimeMs now) {
  const SessionPtr& state = connection.session.state();
  EndpointEvent out;
  out.connection = connection.id;
  out.session = state;
  using Kind = ServerEvent::Kind;
  switch (event.kind) {
    case Kind::Authenticated:
      out.kind = EndpointEvent::Kind::Authenticated;
      out.resumed = event.resumed;
      out.recovered = event.recovered;
      push_event(std::move(out));
      // Every auth records where the session is now, so another node can
      // take it over when this one is gone.
      if (state && config_.session.cluster_sessions) {
        broker_->register_session(state->id, state->claims.subject, event.position);
      }
      if ((!event.resumed || event.recovered) && state) {
        EndpointEvent started;
        started.kind = EndpointEvent::Kind::SessionStarted;
        started.connection = connection.id;
        started.session = state;
        push_event(std::move(started));
      }
      return;
    case Kind::Publish:
      if (!state) return;
      ++counters_.publishes_in;
      if (config_.publishes_to_host) {
        // The application takes it from here: nothing for the broker to commit.
        if (event.reliable && config_.session.async_commits) {
          state->commits.succeeded(event.message_id);
          connection.session.commits_changed();
        }
        out.kind = EndpointEvent::Kind::Publish;
        out.channel = std::move(event.channel);
        out.data = std::move(event.data);
        out.reliable = event.reliable;
        out.payload = event.payload;
        out.message_id = event.message_id;
        push_event(std::move(out));
      } else {
        // Checked on receipt (permission, size, JSON): straight to fan-out.
        PublishOrigin origin;
        origin.session_id = state->id;
        if (event.reliable) {
          origin.seq = event.message_id;
          origin.previous_seq = event.previous_seq;
        }
        broker_->publish(event.channel, event.data, event.reliable, event.payload, origin);
      }
      return;
    case Kind::Subscribed:
      if (!state) return;
      if (event.position.named()) {
        broker_->subscribe_from(state->id, event.channel, event.position);
      } else {
        broker_->subscribe(state->id, event.channel);
      }
      return;
    case Kind::ClaimSession:
      try {
        claims_.emplace(event.session_id, connection.id);
      } catch (...) {
        connection.session.complete_claim(SessionClaim{SessionClaim::Kind::Unavailable, 0, {}});
        return;
      }
      broker_->claim_session(event.session_id, event.user_id);
      return;
    case Kind::Unsubscribed:
      if (state) broker_->unsubscribe(state->id, event.channel);
      if (!event.code.empty()) {  // the server dropped it: permission_revoked
        out.kind = EndpointEvent::Kind::SubscriptionRevoked;
        out.channel = std::move(event.channel);
        out.code = std::move(event.code);
        push_event(std::move(out));
      }
      return;
    case Kind::AuthFailed:
      ++counters_.auth_failures;
      out.kind = EndpointEvent::Kind::AuthFailed;
      out.code = std::move(event.code);
      push_event(std::move(out));
      return;
    case Kind::TokenRefreshed:
      out.kind = EndpointEvent::Kind::TokenRefreshed;
      push_event(std::move(out));
      return;
    case Kind::Error:
      ++counters_.client_errors;
      count_error_reply(connection, event);
      report_error(connection, event, now);
      return;
  }
}

void ServerEndpoint::close_replaced_connections() {
  ConnectionId replaced = 0;
  while (table_.poll_replaced(replaced)) {
    Connection* connection = find(replaced);
    if (connection == nullptr) continue;
    EndpointEvent event;
    event.kind = EndpointEvent::Kind::SessionReplaced;
    event.connection = replaced;
    push_event(std::move(event));
    connection->session.close(close_code::kSessionReplaced, "session resumed on another connection");
    mark_dirty(*connection);
  }
}

// The cluster answered a claim. Going on with the auth calls the broker
// (the session is recorded, its direct stream subscribed), which a broker
// callback must not: the answer waits for the next poll.
void ServerEndpoint::handle_claimed(const std::string& session_id, const SessionClaim& claim) {
  try {
    claim_answers_.emplace_back(session_id, claim);
  } catch (...) {
    // Out of memory: the waiting auth times out (4002) and its client retries.
  }
}

void ServerEndpoint::complete_claims() {
  std::vector<std::pair<std::string, SessionClaim>> answers;
  answers.swap(claim_answers_);
  for (const auto& [session_id, claim] : answers) complete_claim(session_id, claim);
}

// Every connection of this node waiting on that session id goes on with its
// auth (normally one; a client that reconnected twice in a row may have
// two, and the later one wins, 4005).
void ServerEndpoint::complete_claim(const std::string& session_id, const SessionClaim& claim) {
  auto range = claims_.equal_range(session_id);
  std::vector<ConnectionId> waiting;
  for (auto it = range.first; it != range.second; ++it) waiting.push_back(it->second);
  claims_.erase(range.first, range.second);
  for (ConnectionId id : waiting) {
    Connection* connection = find(id);
    if (connection == nullptr || connection->session.claimed_session_id() != session_id) continue;
    connection->session.complete_claim(claim);
    route_events(*connection, now_);
    close_replaced_connections();
    mark_dirty(*connection);
  }
}

void ServerEndpoint::forget_claim(const Connection& connection) {
  const std::string& session_id = connection.session.claimed_session_id();
  if (session_id.empty()) return;
  auto range = claims_.equal_range(session_id);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second != connection.id) continue;
    claims_.erase(it);
    return;
  }
}

// ---- delivery -----------------------------------------------------------

bool ServerEndpoint::send_to_session(std::string_view session_id, std::string_view channel, std::string_view data,
                                     bool reliable, TimeMs now, PayloadKind payload) {
  wall_now_ = now + config_.session.wall_clock_offset_ms;
  if (!valid_outgoing(channel, data, payload)) return false;
  const SessionPtr session = table_.find(session_id);
  if (session == nullptr) return false;
  // In a cluster it goes through the session's own stream, which whatever
  // node holds the session delivers from (Broker::send_direct).
  if (config_.session.cluster_sessions && broker_->send_direct(session->id, channel, data, reliable, payload)) {
    return true;
  }
  return enqueue(session, Delivery{channel, data, reliable, payload});
}

bool ServerEndpoint::publish(std::string_view channel, std::string_view data, bool reliable, TimeMs now,
                             PayloadKind payload) {
  wall_now_ = now + config_.session.wall_clock_offset_ms;
  if (!valid_outgoing(channel, data, payload)) return false;
  broker_->publish(std::string(channel), data, reliable, payload, PublishOrigin{});
  return true;
}

// An asynchronous broker's answer for a reliable client publish. A failure
// rolls the session's receiver back to its last committed sequence: what
// came after goes unacked, and the client resends it (in order, from there).
void ServerEndpoint::handle_commit(const std::string& session_id, uint64_t seq, CommitResult result) {
  const SessionPtr session = table_.find(session_id);
  if (!session) return;  // ended meanwhile: its client starts a new session anyway
  Connection* connection = find(session->owner_connection);
  if (result == CommitResult::Failed) {
    if (!session->commits.failed(seq)) return;  // a late answer: already rolled back
    ++counters_.not_committed;
    session->receiver.restore(session->commits.rollback_point());
    EndpointEvent event;
    event.kind = EndpointEvent::Kind::PublishNotCommitted;
    event.connection = connection ? connection->id : 0;
    event.session = session;
    event.message_id = seq;
    push_event(std::move(event));
  } else {
    session->commits.succeeded(seq);
  }
  if (connection != nullptr) {
    connection->session.commits_changed();
    mark_dirty(*connection);
  }
}

void ServerEndpoint::deliver(const std::string& session_id, const Delivery& delivery) {
  if (SessionPtr session = table_.find(session_id)) enqueue(session, delivery);
  // else forgotten since it subscribed (its removal from the broker is pending)
}

bool ServerEndpoint::enqueue(const SessionPtr& session, const Delivery& delivery) {
  if (!session->enqueue(delivery, wall_now_)) {
    drop_slow_consumer(session, "buffer_full");
    return false;
  }
  ++counters_.deliveries;
  if (Connection* connection = find(session->owner_connection)) mark_dirty(*connection);
  return true;
}

// Application input is embedded verbatim in frames: Json `data` must be
// valid JSON (binary is any bytes), and the channel a name a client could
// subscribe to. The delivery, envelope included, must fit a frame, as a
// client's publish must.
bool ServerEndpoint::valid_outgoing(std::string_view channel, std::string_view data, PayloadKind payload) const {
  const CodecLimits& limits = config_.session.limits;
  if (!is_valid_channel(channel) || !fits_fan_out(channel, data.size(), limits.max_frame_bytes)) return false;
  return payload == PayloadKind::Binary || validate_json_payload(data, limits) == CodecError::None;
}

// ---- sessions -----------------------------------------------------------

void ServerEndpoint::expire_sessions(TimeMs now) {
  expired_.clear();
  table_.expire(now, expired_);
  for (SessionPtr& session : expired_) end_session(std::move(session), SessionEnd::Expired);
  expired_.clear();
}

void ServerEndpoint::close_connection(ConnectionId id, uint16_t code, std::string_view reason) {
  Connection* connection = find(id);
  if (connection == nullptr) return;
  connection->session.close(code, reason);
  mark_dirty(*connection);
}

void ServerEndpoint::close_all(uint16_t code, std::string_view reason) {
  for (auto& entry : connections_) {
    // Frames already queued (acks of everything received) go out before the close.
    entry.second->session.close(code, reason);
    mark_dirty(*entry.second);
  }
}

void ServerEndpoint::end_all_sessions() {
  for (SessionPtr& session : table_.all()) {
    table_.remove(session->id);
    end_session(std::move(session), SessionEnd::Shutdown);
  }
}

std::string ServerEndpoint::snapshot(std::string_view app_state) const { return snapshot_sessions(table_, app_state); }

RestoreResult ServerEndpoint::restore(std::string_view snapshot, TimeMs now) {
  RestoreResult restored = restore_sessions(snapshot, table_, config_.session.reliable,
                                            config_.session.receive_window, now, config_.session.resume_ttl_ms);
  if (!restored.ok) return restored;
  for (const SessionPtr& session : restored.sessions) {
    for (const std::string& channel : session->subscriptions) broker_->subscribe(session->id, channel);
  }
  return restored;
}

std::shared_ptr<const SessionState> ServerEndpoint::find_session(std::string_view session_id) const {
  return table_.find(session_id);
}

// ---- helpers ------------------------------------------------------------

ServerEndpoint::Connection* ServerEndpoint::find(ConnectionId id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

const ServerEndpoint::Connection* ServerEndpoint::find(ConnectionId id) const {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

void ServerEndpoint::mark_dirty(Connection& connection) {
  if (connection.dirty) return;
  connection.dirty = true;
  dirty_.push_back(connection.id);
}

}  // namespace tether::core
