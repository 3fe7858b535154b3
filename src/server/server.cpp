#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <utility>

#include "core/codec.h"
#include "core/session_snapshot.h"
#include "server/local_broker.h"
#include "server/log_line.h"
#include "server/server_connection.h"
#include "transport/secure_random.h"

namespace tether::server {

namespace {

constexpr const char* kSubprotocol = "tether.v1";
// Parked sessions are swept this often (or at the resume TTL, if shorter).
constexpr core::TimeMs kMaxSweepIntervalMs = 1000;
constexpr core::TimeMs kMinSweepIntervalMs = 20;
constexpr size_t kShownSessionIdChars = 8;

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}


std::string_view shown_id(std::string_view session_id) { return session_id.substr(0, kShownSessionIdChars); }

SessionInfo info_of(const core::SessionState& state) {
  return SessionInfo{state.id, state.claims.subject, &state.permissions};
}

void write_to_stderr(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

transport::ListenResult listen_failure(transport::ListenError error, std::string detail) {
  transport::ListenResult result;
  result.error = error;
  result.detail = std::move(detail);
  return result;
}

}  // namespace

Server::Server(transport::EventLoop& loop, ServerOptions options, Application* app, std::unique_ptr<Broker> broker)
    : loop_(loop),
      options_(std::move(options)),
      app_(app),
      broker_(broker ? std::move(broker) : std::make_unique<LocalBroker>()),
      config_(options_.session),
      table_([] { return transport::secure_random_hex(16); }),
      ws_(loop, transport_handlers()) {
  if (!options_.log) options_.log = write_to_stderr;
  broker_->bind([this](const std::string& session_id, std::string_view channel, std::string_view data,
                       bool reliable) { deliver(session_id, channel, data, reliable); });
}

Server::~Server() {
  for (auto& entry : connections_) {
    if (entry.second->timer != transport::kNoTimer) loop_.cancel_timer(entry.second->timer);
  }
  if (sweep_timer_ != transport::kNoTimer) loop_.cancel_timer(sweep_timer_);
}

transport::ServerHandlers Server::transport_handlers() {
  transport::ServerHandlers handlers;
  handlers.on_open = [this](ConnectionId id, std::string_view remote) {
    guarded("open", [&] { on_open(id, remote); });
  };
  handlers.on_text = [this](ConnectionId id, std::string_view text) {
    guarded("text", [&] { on_text(id, text); });
  };
  handlers.on_closed = [this](ConnectionId id, const transport::CloseInfo& info) {
    guarded("close", [&] { on_closed(id, info); });
  };
  handlers.on_writable = [this](ConnectionId id) { guarded("writable", [&] { on_writable(id); }); };
  return handlers;
}

// ---- public API ---------------------------------------------------------

transport::ListenResult Server::start() noexcept {
  try {
    if (started_ || stopping_) return listen_failure(transport::ListenError::AlreadyListening, "already started");
    if (const char* problem = validate(options_)) return listen_failure(transport::ListenError::BindFailed, problem);
    config_ = options_.session;
    config_.limits.max_frame_bytes = options_.max_message_bytes;
    config_.wall_clock_offset_ms = system_clock_ms() - loop_.now_ms();
    authority_ = std::make_unique<core::Hs256Authority>(options_.jwt_secret, 0, 0, options_.max_token_lifetime_ms);

    transport::ServerListenOptions listen;
    listen.host = options_.host;
    listen.port = options_.port;
    listen.tls_cert_file = options_.tls_cert_file;
    listen.tls_key_file = options_.tls_key_file;
    listen.max_message_size = options_.max_message_bytes;
    listen.max_connections = options_.max_connections;
    listen.max_send_buffer_bytes = options_.max_send_buffer_bytes;
    listen.handshake_timeout_ms = options_.handshake_timeout_ms;
    listen.subprotocol = kSubprotocol;
    transport::ListenResult result = ws_.listen(listen);
    if (!result.ok()) {
      log(LogLine("listen failed").add("detail", result.detail));
      return result;
    }
    started_ = true;
    schedule_sweep();
    log(LogLine("listening").add("url", listen_url(options_, result.port)));
    return result;
  } catch (...) {
    return listen_failure(transport::ListenError::BindFailed, "out of memory");
  }
}

bool Server::send_to_session(std::string_view session_id, std::string_view channel, std::string_view data,
                             bool reliable) noexcept {
  try {
    if (!started_ || stopping_ || !valid_outgoing(channel, data)) return false;
    auto it = sessions_.find(std::string(session_id));
    if (it == sessions_.end()) return false;
    const bool queued = enqueue(it->second, channel, data, reliable);
    if (!queued) schedule_flush();  // ends the dropped session
    return queued;
  } catch (...) {
    return false;
  }
}

bool Server::publish(std::string_view channel, std::string_view data, bool reliable) noexcept {
  try {
    if (!started_ || stopping_ || !valid_outgoing(channel, data)) return false;
    broker_->publish(std::string(channel), data, reliable);
    return true;
  } catch (...) {
    return false;
  }
}

void Server::shutdown(uint16_t code) noexcept {
  if (stopping_) return;
  stopping_ = true;
  shutdown_code_ = code;
  guarded("shutdown", [&] {
    log(LogLine("shutdown").add("code", code).add("connections", connections_.size()).add("sessions",
                                                                                          sessions_.size()));
    close_connections(code);
    for (auto& entry : sessions_) {
      entry.second->sender.fail_all(core::SendOutcome::Closed);
      entry.second->drain_resolutions();
      table_.remove(entry.first);
      ended_.push_back(entry.second);
    }
    sessions_.clear();
    end_sessions();
  });
}

void Server::close_connections(uint16_t code) {
  ws_.stop_listening();
  if (sweep_timer_ != transport::kNoTimer) loop_.cancel_timer(sweep_timer_);
  sweep_timer_ = transport::kNoTimer;
  // Frames already queued (acks of everything received) go out before the close.
  for (auto& entry : connections_) {
    entry.second->session.close(code, "server shutdown");
    flush(*entry.second);
  }
  ws_.close_all(code, "server shutdown");  // and drops connections still in their handshake
}

void Server::shutdown_for_restart(uint16_t code) noexcept {
  if (stopping_) return;
  stopping_ = true;
  shutdown_code_ = code;
  guarded("shutdown", [&] {
    log(LogLine("shutdown for restart").add("code", code).add("sessions", sessions_.size()));
    close_connections(code);
  });
}

std::string Server::save_state() noexcept {
  std::string app_state;
  call_app("save_state", [&] { app_state = app_->save_state(); });
  try {
    return core::snapshot_sessions(table_, app_state);
  } catch (...) {
    return {};
  }
}

std::string Server::load_state(std::string_view state) noexcept {
  try {
    if (started_) return "load_state must come before start()";
    config_ = options_.session;
    core::RestoreResult restored = core::restore_sessions(state, table_, config_.reliable, config_.receive_window,
                                                          loop_.now_ms(), config_.resume_ttl_ms);
    if (!restored.ok) return restored.error;
    bool app_ok = true;
    call_app("load_state", [&] { app_ok = app_->load_state(restored.app_state); });
    if (!app_ok) return "the application rejected its saved state";
    for (const SessionPtr& session : restored.sessions) {
      sessions_[session->id] = session;
      for (const std::string& channel : session->subscriptions) broker_->subscribe(session->id, channel);
    }
    log(LogLine("state loaded").add("sessions", restored.restored));
    return {};
  } catch (...) {
    return "out of memory";
  }
}

std::optional<SessionStats> Server::session_stats(std::string_view session_id) const noexcept {
  try {
    auto it = sessions_.find(std::string(session_id));
    if (it == sessions_.end()) return std::nullopt;
    const core::SessionState& state = *it->second;
    SessionStats stats;
    stats.user_id = state.claims.subject;
    stats.connected = state.owner_connection != 0;
    stats.queued = state.sender.queued_messages();
    stats.in_flight = state.sender.in_flight();
    stats.buffered_bytes = state.sender.buffered_bytes();
    stats.delivered = state.delivered;
    stats.failed = state.failed;
    stats.subscriptions = state.subscriptions.size();
    stats.receive_buffered_bytes = core::held_bytes(state.receiver);
    stats.receive_buffer_refusals = state.receive_buffer_refusals;
    stats.send_buffered_bytes = ws_.buffered_bytes(state.owner_connection);
    return stats;
  } catch (...) {
    return std::nullopt;
  }
}

// ---- transport events ---------------------------------------------------

void Server::on_open(ConnectionId id, std::string_view remote_address) {
  if (stopping_) {
    ws_.close(id, shutdown_code_, "server shutdown");
    return;
  }
  auto owned = std::make_unique<Connection>(config_, *authority_, table_, id);
  Connection& connection = *owned;
  connections_.emplace(id, std::move(owned));
  log(LogLine("connect").add("conn", id).add("remote", remote_address));
  const core::TimeMs now = loop_.now_ms();
  connection.session.handle_open(now);
  rearm_timer(connection, now);  // the auth deadline
}

void Server::on_text(ConnectionId id, std::string_view text) {
  Connection* connection = find(id);
  if (connection == nullptr || !admit_input(*connection, text.size())) return;
  connection->session.handle_text(text, loop_.now_ms());
  route_events(*connection);
  close_replaced_connections();
  // Replies go out with everything else this loop turn produces for it.
  mark_dirty(*connection);
}

void Server::on_closed(ConnectionId id, const transport::CloseInfo& info) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& connection = *it->second;
  LogLine line("close");
  line.add("conn", id).add("code", info.code).add("reason", info.reason).add("initiator",
                                                                            transport::to_string(info.initiator));
  if (info.error != transport::TransportError::None) line.add("error", transport::to_string(info.error));
  log(line);
  if (connection.timer != transport::kNoTimer) loop_.cancel_timer(connection.timer);
  connection.session.handle_closed(loop_.now_ms());  // parks an attached session for resume
  route_events(connection);
  connections_.erase(it);
}

void Server::on_timer(ConnectionId id) {
  guarded("timer", [&] {
    Connection* connection = find(id);
    if (connection == nullptr) return;
    connection->timer = transport::kNoTimer;
    connection->timer_at = core::kNever;
    connection->session.handle_timeout(loop_.now_ms());
    route_events(*connection);
    flush(*connection);  // also arms the next deadline
  });
}

// ---- routing ------------------------------------------------------------

void Server::route_events(Connection& connection) {
  core::ServerEvent event;
  while (connection.session.poll_event(event)) route(connection, event);
}

void Server::route(Connection& connection, core::ServerEvent& event) {
  const SessionPtr state = connection.session.state();
  using Kind = core::ServerEvent::Kind;
  switch (event.kind) {
    case Kind::Authenticated:
      on_authenticated(connection, event.resumed);
      break;
    case Kind::Publish:
      on_client_publish(connection, event);
      break;
    case Kind::Subscribed:
      if (state) broker_->subscribe(state->id, event.channel);
      break;
    case Kind::Unsubscribed:
      if (state) broker_->unsubscribe(state->id, event.channel);
      if (!event.code.empty()) {  // the server dropped it: permission_revoked
        log(LogLine("unsubscribed").add("conn", connection.id).add("code", event.code));
      }
      break;
    case Kind::AuthFailed:
      log(LogLine("auth failed").add("conn", connection.id).add("code", event.code));
      break;
    case Kind::TokenRefreshed:
      log(LogLine("token refreshed").add("conn", connection.id).add("user", event.user_id));
      break;
    case Kind::Error:
      log(LogLine("client error").add("conn", connection.id).add("code", event.code).add("detail", event.reason));
      count_error_reply(connection, event);
      break;
  }
}

void Server::on_authenticated(Connection& connection, bool resumed) {
  const SessionPtr state = connection.session.state();
  if (!state) return;
  log(LogLine("auth ok")
          .add("conn", connection.id)
          .add("user", state->claims.subject)
          .add("session", shown_id(state->id))
          .add("resumed", resumed));
  if (resumed) return;
  sessions_[state->id] = state;
  const SessionInfo info = info_of(*state);
  call_app("on_session_started", [&] { app_->on_session_started(*this, info); });
}

void Server::on_client_publish(Connection& connection, const core::ServerEvent& event) {
  const SessionPtr state = connection.session.state();
  if (!state) return;
  bool consumed = false;
  if (app_ != nullptr) {
    const SessionInfo info = info_of(*state);
    call_app("on_publish",
             [&] { consumed = app_->on_publish(*this, info, event.channel, event.data, event.reliable); });
  }
  if (!consumed) broker_->publish(event.channel, event.data, event.reliable);
}

void Server::close_replaced_connections() {
  uint64_t replaced = 0;
  while (table_.poll_replaced(replaced)) {
    Connection* connection = find(replaced);
    if (connection == nullptr) continue;
    log(LogLine("session replaced").add("conn", replaced));
    connection->session.close(core::close_code::kSessionReplaced, "session resumed on another connection");
    mark_dirty(*connection);
  }
}

// ---- delivery -----------------------------------------------------------

void Server::deliver(const std::string& session_id, std::string_view channel, std::string_view data,
                     bool reliable) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;  // forgotten since it subscribed
  if (!enqueue(it->second, channel, data, reliable)) schedule_flush();
}

bool Server::enqueue(const SessionPtr& session, std::string_view channel, std::string_view data, bool reliable) {
  if (!session->enqueue(channel, data, reliable, wall_clock_ms())) {
    drop_slow_consumer(session, "buffer_full");
    return false;
  }
  if (Connection* connection = find(session->owner_connection)) mark_dirty(*connection);
  return true;
}

void Server::drop_slow_consumer(SessionPtr session, std::string_view cause) {
  log(LogLine("slow consumer")
          .add("session", shown_id(session->id))
          .add("user", session->claims.subject)
          .add("conn", session->owner_connection)
          .add("queued", session->sender.queued_messages())
          .add("buffered_bytes", session->sender.buffered_bytes())
          .add("send_buffered_bytes", ws_.buffered_bytes(session->owner_connection))
          .add("cause", cause));
  Connection* connection = find(session->owner_connection);
  if (connection != nullptr) {
    connection->session.close(core::close_code::kSlowConsumer, "slow consumer", /*forget=*/true);
    mark_dirty(*connection);
  }
  if (table_.find(session->id)) {  // parked, so no connection forgot it
    session->sender.fail_all(core::SendOutcome::Overflow);
    session->drain_resolutions();
    table_.remove(session->id);
  }
  sessions_.erase(session->id);
  // The broker may be iterating its subscribers right now: it and the hook
  // hear about this from the flush task, not from inside deliver.
  ended_.push_back(std::move(session));
}

void Server::end_sessions() {
  while (!ended_.empty()) {
    const SessionPtr session = std::move(ended_.front());
    ended_.pop_front();
    broker_->remove_session(session->id);
    const SessionInfo info = info_of(*session);
    call_app("on_session_ended", [&] { app_->on_session_ended(*this, info); });
  }
}

void Server::schedule_sweep() {
  const core::TimeMs interval = std::clamp(config_.resume_ttl_ms, kMinSweepIntervalMs, kMaxSweepIntervalMs);
  sweep_timer_ = loop_.set_timer(interval, [this, alive = std::weak_ptr<char>(lifetime_)] {
    if (alive.expired()) return;
    sweep_timer_ = transport::kNoTimer;
    guarded("sweep", [&] { sweep_expired(); });
    if (!stopping_) schedule_sweep();
  });
}

void Server::sweep_expired() {
  expired_.clear();
  table_.expire(loop_.now_ms(), expired_);
  for (SessionPtr& session : expired_) {
    log(LogLine("session expired").add("session", shown_id(session->id)).add("user", session->claims.subject));
    session->sender.fail_all(core::SendOutcome::Closed);
    session->drain_resolutions();
    sessions_.erase(session->id);
    ended_.push_back(std::move(session));
  }
  expired_.clear();
  end_sessions();
}

// ---- output -------------------------------------------------------------

void Server::mark_dirty(Connection& connection) {
  if (!connection.dirty) {
    connection.dirty = true;
    dirty_.push_back(connection.id);
  }
  schedule_flush();
}

// One flush per loop turn: a fan-out to many sessions, or a client's batch,
// costs each connection one pass over its writer, not one per message.
void Server::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = loop_.post([this, alive = std::weak_ptr<char>(lifetime_)] {
    if (alive.expired()) return;
    guarded("flush", [&] { flush_dirty(); });
  });
}

void Server::flush_dirty() {
  flush_posted_ = false;
  end_sessions();
  flushing_.swap(dirty_);
  for (ConnectionId id : flushing_) {
    Connection* connection = find(id);
    if (connection == nullptr) continue;
    connection->dirty = false;
    flush(*connection);
  }
  flushing_.clear();
}

void Server::flush(Connection& connection) {
  const core::TimeMs now = loop_.now_ms();
  // Frames before the close, so auth_failed and errors reach the client.
  write_frames(connection, now);
  core::TransportAction action;
  while (connection.session.poll_action(action)) {
    if (action.kind == core::TransportAction::Kind::Close) ws_.close(connection.id, action.code, action.reason);
  }
  rearm_timer(connection, now);
}

// Re-arms only when the deadline moved earlier. A later deadline (the idle
// timeout moves with every frame) lets the armed timer fire early instead:
// handle_timeout tolerates that, and a busy connection costs no timer churn.
void Server::rearm_timer(Connection& connection, core::TimeMs now) {
  const core::TimeMs next = connection.session.next_timeout();
  if (next >= connection.timer_at) return;
  if (connection.timer != transport::kNoTimer) loop_.cancel_timer(connection.timer);
  connection.timer = loop_.set_timer(next - now, [this, alive = std::weak_ptr<char>(lifetime_), id = connection.id] {
    if (!alive.expired()) on_timer(id);
  });
  connection.timer_at = connection.timer == transport::kNoTimer ? core::kNever : next;
}

// ---- helpers ------------------------------------------------------------

Server::Connection* Server::find(ConnectionId id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

// Application input is embedded verbatim in frames: `data` must be valid
// JSON, and the channel a name a client could subscribe to (1..256 bytes of
// UTF-8 without NUL). The delivery, envelope included, must fit a frame, as
// a client's publish must.
bool Server::valid_outgoing(std::string_view channel, std::string_view data) const {
  if (!core::is_valid_channel(channel) || !core::fits_fan_out(channel, data.size(), config_.limits.max_frame_bytes)) {
    return false;
  }
  return core::validate_json_payload(data, config_.limits) == core::CodecError::None;
}

template <typename Hook>
void Server::call_app(const char* hook, Hook&& call) noexcept {
  if (app_ == nullptr) return;
  try {
    call();
  } catch (const std::exception& error) {
    log(LogLine("application error").add("hook", hook).add("what", error.what()));
  } catch (...) {
    log(LogLine("application error").add("hook", hook));
  }
}

template <typename Body>
void Server::guarded(const char* where, Body&& body) noexcept {
  try {
    body();
  } catch (const std::exception& error) {
    try {
      log(LogLine("internal error").add("where", where).add("what", error.what()));
    } catch (...) {
    }
  } catch (...) {
  }
}

void Server::log(const LogLine& line) noexcept {
  try {
    options_.log(line.text());
  } catch (...) {
  }
}

}  // namespace tether::server
