#include "server/server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <random>
#include <utility>

#include "server/log_line.h"
#include "transport/secure_random.h"

namespace tether::server {

namespace {

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


Server::Server(transport::EventLoop& loop, ServerOptions options, Application* app,
               std::unique_ptr<core::Broker> broker)
    : loop_(loop), options_(std::move(options)), app_(app), broker_(std::move(broker)), ws_(loop, transport_handlers()) {
  if (!options_.log) options_.log = write_to_stderr;
}

Server::~Server() {
  for (auto& entry : timers_) {
    if (entry.second.timer != transport::kNoTimer) loop_.cancel_timer(entry.second.timer);
  }
  if (sweep_timer_ != transport::kNoTimer) loop_.cancel_timer(sweep_timer_);
}

transport::ServerHandlers Server::transport_handlers() {
  transport::ServerHandlers handlers;
  handlers.on_open = [this](ConnectionId id, std::string_view remote) {
    guarded("open", [&] { on_open(id, remote); });
  };
  handlers.on_text = [this](ConnectionId id, std::string_view text) {
    guarded("text", [&] { on_frame(id, text, core::FrameKind::Text); });
  };
  handlers.on_binary = [this](ConnectionId id, std::string_view bytes) {
    guarded("binary", [&] { on_frame(id, bytes, core::FrameKind::Binary); });
  };
  handlers.on_ping = [this](ConnectionId id, size_t bytes) {
    bool answer = true;
    guarded("ping", [&] { answer = on_ping(id, bytes); });
    return answer;
  };
  handlers.on_closed = [this](ConnectionId id, const transport::CloseInfo& info) {
    guarded("close", [&] { on_closed(id, info); });
  };
  handlers.on_writable = [this](ConnectionId id) { guarded("writable", [&] { on_writable(id); }); };
  return handlers;
}

const char* Server::make_endpoint() {
  if (endpoint_) return nullptr;
  if (const char* problem = validate(options_)) return problem;
  core::EndpointConfig config;
  config.session = options_.session;
  config.session.limits.max_frame_bytes = options_.max_message_bytes;
  // Frames come from WsServer as text frames, which websocketpp has checked
  // for UTF-8 already (binary frames close 1003): the codec need not again.
  config.session.limits.text_is_utf8 = true;
  config.session.wall_clock_offset_ms = system_clock_ms() - loop_.now_ms();
  config.max_unanswered_bytes = options_.max_send_buffer_bytes;
  config.publishes_to_host = app_ != nullptr;
  if (const char* problem = core::validate(config)) return problem;
  options_.session = config.session;  // wall_clock_ms() uses the offset
  authority_ = std::make_unique<core::Hs256Authority>(options_.jwt_secret, 0, 0, options_.max_token_lifetime_ms);
  if (broker_) {
    // A distributed broker delivers and answers commits on its own; the
    // endpoint's output then goes out like any other. The broker dies with
    // the endpoint, hence with us.
    broker_->set_wake([this] {
      guarded("broker", [&] {
        drain_events();
        schedule_flush();
      });
    });
  }
  endpoint_ = std::make_unique<core::ServerEndpoint>(
      std::move(config), *authority_, [] { return transport::secure_random_hex(16); }, std::move(broker_));
  return nullptr;
}

// ---- public API ---------------------------------------------------------

transport::ListenResult Server::start() noexcept {
  try {
    if (started_ || stopping_) return listen_failure(transport::ListenError::AlreadyListening, "already started");
    if (const char* problem = make_endpoint()) return listen_failure(transport::ListenError::BindFailed, problem);

    transport::ServerListenOptions listen;
    listen.host = options_.host;
    listen.port = options_.port;
    listen.tls_cert_file = options_.tls_cert_file;
    listen.tls_key_file = options_.tls_key_file;
    listen.max_message_size = options_.max_message_bytes;
    listen.max_connections = options_.max_connections;
    listen.max_pending_handshakes = options_.max_pending_handshakes;
    listen.max_send_buffer_bytes = options_.max_send_buffer_bytes;
    listen.handshake_timeout_ms = options_.handshake_timeout_ms;
    listen.subprotocol = core::kSubprotocol;
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
                             bool reliable, core::PayloadKind payload) noexcept {
  try {
    if (!started_ || stopping_) return false;
    const bool queued = endpoint_->send_to_session(session_id, channel, data, reliable, loop_.now_ms(), payload);
    drain_events();
    schedule_flush();
    return queued;
  } catch (...) {
    return false;
  }
}

bool Server::publish(std::string_view channel, std::string_view data, bool reliable,
                     core::PayloadKind payload) noexcept {
  try {
    if (!started_ || stopping_) return false;
    const bool published = endpoint_->publish(channel, data, reliable, loop_.now_ms(), payload);
    drain_events();
    schedule_flush();
    return published;
  } catch (...) {
    return false;
  }
}

void Server::drain(int64_t spread_ms) noexcept {
  if (stopping_ || draining_ || !endpoint_) return;
  draining_ = true;
  guarded("drain", [&] {
    log(LogLine("draining").add("connections", connection_count()).add("spread_ms", spread_ms));
    ws_.stop_listening();
    uint64_t seed = 0;
    transport::secure_random_bytes(&seed, sizeof seed);
    std::mt19937_64 random(seed);
    std::vector<ConnectionId> open;
    open.reserve(timers_.size());
    for (const auto& entry : timers_) open.push_back(entry.first);
    for (ConnectionId id : open) {
      const int64_t delay = spread_ms > 0 ? static_cast<int64_t>(random() % static_cast<uint64_t>(spread_ms + 1)) : 0;
      loop_.set_timer(delay, [this, alive = std::weak_ptr<char>(lifetime_), id] {
        if (alive.expired() || !endpoint_) return;
        guarded("drain", [&] {
          endpoint_->close_connection(id, core::close_code::kGoingAway, "server draining");
          drain_events();
          schedule_flush();
        });
      });
    }
  });
}

core::EndpointCounters Server::counters() const noexcept {
  return endpoint_ ? endpoint_->counters() : core::EndpointCounters{};
}

Server::Health Server::health() const noexcept {
  if (draining_) return Health::Draining;
  if (!started_ || stopping_ || !endpoint_) return Health::NotReady;
  return endpoint_->broker().ready() ? Health::Ready : Health::NotReady;
}

void Server::shutdown(uint16_t code) noexcept {
  if (stopping_) return;
  guarded("shutdown", [&] {
    log(LogLine("shutdown").add("code", code).add("connections", connection_count()).add("sessions",
                                                                                         session_count()));
    shutdown_for_restart(code);
    if (endpoint_) endpoint_->end_all_sessions();
    drain_events();
  });
}

// Frames already queued (acks of everything received) go out before the close.
void Server::shutdown_for_restart(uint16_t code) noexcept {
  if (stopping_) return;
  stopping_ = true;
  shutdown_code_ = code;
  guarded("shutdown", [&] {
    log(LogLine("closing connections").add("code", code).add("sessions", session_count()));
    ws_.stop_listening();
    if (sweep_timer_ != transport::kNoTimer) loop_.cancel_timer(sweep_timer_);
    sweep_timer_ = transport::kNoTimer;
    if (endpoint_) {
      endpoint_->close_all(code, "server shutdown");
      drain_events();
      flush_dirty();
    }
    ws_.close_all(code, "server shutdown");  // and drops connections still in their handshake
  });
}

std::string Server::save_state() noexcept {
  std::string app_state;
  call_app("save_state", [&] { app_state = app_->save_state(); });
  try {
    return endpoint_ ? endpoint_->snapshot(app_state) : std::string();
  } catch (...) {
    return {};
  }
}

std::string Server::load_state(std::string_view state) noexcept {
  try {
    if (started_) return "load_state must come before start()";
    if (const char* problem = make_endpoint()) return problem;
    core::RestoreResult restored = endpoint_->restore(state, loop_.now_ms());
    if (!restored.ok) return restored.error;
    bool app_ok = true;
    call_app("load_state", [&] { app_ok = app_->load_state(restored.app_state); });
    if (!app_ok) return "the application rejected its saved state";
    log(LogLine("state loaded").add("sessions", restored.restored));
    return {};
  } catch (...) {
    return "out of memory";
  }
}

std::optional<SessionStats> Server::session_stats(std::string_view session_id) const noexcept {
  try {
    const auto session = endpoint_ ? endpoint_->find_session(session_id) : nullptr;
    if (!session) return std::nullopt;
    const core::SessionState& state = *session;
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
  if (stopping_ || !endpoint_) {
    ws_.close(id, shutdown_code_, "server shutdown");
    return;
  }
  if (draining_) {  // its handshake began before drain() stopped listening
    ws_.close(id, core::close_code::kGoingAway, "server draining");
    return;
  }
  log(LogLine("connect").add("conn", id).add("remote", remote_address));
  const core::TimeMs now = loop_.now_ms();
  endpoint_->handle_open(id, now);
  flush(id, now);  // arms the auth deadline
}

void Server::on_frame(ConnectionId id, std::string_view frame, core::FrameKind kind) {
  if (!endpoint_) return;
  ++traffic_.frames_in;
  traffic_.bytes_in += frame.size();
  endpoint_->set_writable(id, ws_.writable(id));
  if (kind == core::FrameKind::Binary) {
    endpoint_->handle_binary(id, frame, loop_.now_ms());
  } else {
    endpoint_->handle_text(id, frame, loop_.now_ms());
  }
  drain_events();
  // Replies go out with everything else this loop turn produces for it.
  schedule_flush();
}

bool Server::on_ping(ConnectionId id, size_t bytes) {
  if (!endpoint_) return true;
  const bool answer = endpoint_->handle_ping(id, bytes, ws_.buffered_bytes(id), loop_.now_ms());
  if (!answer) {
    drain_events();
    schedule_flush();  // the 4008 close
  }
  return answer;
}

void Server::on_closed(ConnectionId id, const transport::CloseInfo& info) {
  LogLine line("close");
  line.add("conn", id).add("code", info.code).add("reason", info.reason).add("initiator",
                                                                            transport::to_string(info.initiator));
  if (info.error != transport::TransportError::None) line.add("error", transport::to_string(info.error));
  log(line);
  auto timer = timers_.find(id);
  if (timer != timers_.end()) {
    if (timer->second.timer != transport::kNoTimer) loop_.cancel_timer(timer->second.timer);
    timers_.erase(timer);
  }
  if (!endpoint_) return;
  endpoint_->handle_closed(id, loop_.now_ms());  // parks an attached session for resume
  drain_events();
}

void Server::on_writable(ConnectionId id) {
  if (!endpoint_) return;
  endpoint_->set_writable(id, true);
  schedule_flush();
}

void Server::on_timer(ConnectionId id) {
  guarded("timer", [&] {
    auto timer = timers_.find(id);
    if (timer == timers_.end()) return;
    timer->second = ConnectionTimer{};
    endpoint_->handle_timeout(id, loop_.now_ms());
    drain_events();
    flush_dirty();  // also arms the next deadline
  });
}

// ---- the endpoint's output ------------------------------------------------

// Not re-entrant: a hook that calls publish() or send_to_session() lands
// here again, and handling the next events from inside the hook would
// deliver them before the rest of the hook's own messages (out of order).
// The outer loop picks up whatever the hook caused.
void Server::drain_events() {
  if (draining_events_) return;
  draining_events_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }  // also when out of memory
  } done{draining_events_};
  core::EndpointEvent event;
  while (endpoint_->poll_event(event)) handle_event(event);
}

void Server::handle_event(const core::EndpointEvent& event) {
  using Kind = core::EndpointEvent::Kind;
  const core::SessionState* session = event.session.get();
  switch (event.kind) {
    case Kind::SessionStarted: {
      const SessionInfo info = info_of(*session);
      call_app("on_session_started", [&] { app_->on_session_started(*this, info); });
      return;
    }
    case Kind::SessionEnded: {
      log(LogLine(event.end == core::SessionEnd::Expired ? "session expired" : "session ended")
              .add("session", shown_id(session->id))
              .add("user", session->claims.subject)
              .add("cause", core::session_end_name(event.end))
              .add("failed", session->failed));
      const SessionInfo info = info_of(*session);
      call_app("on_session_ended", [&] { app_->on_session_ended(*this, info); });
      return;
    }
    case Kind::Publish: {
      bool consumed = false;
      const SessionInfo info = info_of(*session);
      if (event.payload == core::PayloadKind::Binary) {
        call_app("on_publish_binary", [&] {
          consumed = app_->on_publish_binary(*this, info, event.channel, event.data, event.reliable);
        });
      } else {
        call_app("on_publish",
                 [&] { consumed = app_->on_publish(*this, info, event.channel, event.data, event.reliable); });
      }
      if (!consumed) endpoint_->publish(event.channel, event.data, event.reliable, loop_.now_ms(), event.payload);
      schedule_flush();
      return;
    }
    case Kind::Authenticated:
      log(LogLine("auth ok")
              .add("conn", event.connection)
              .add("user", session ? session->claims.subject : std::string())
              .add("session", session ? shown_id(session->id) : std::string_view())
              .add("resumed", event.resumed));
      return;
    case Kind::AuthFailed:
      log(LogLine("auth failed").add("conn", event.connection).add("code", event.code));
      return;
    case Kind::TokenRefreshed:
      log(LogLine("token refreshed").add("conn", event.connection).add("user", session ? session->claims.subject
                                                                                            : std::string()));
      return;
    case Kind::ClientError: {
      LogLine line("client error");
      line.add("conn", event.connection).add("code", event.code).add("detail", event.reason);
      if (event.suppressed != 0) line.add("suppressed", event.suppressed);
      log(line);
      return;
    }
    case Kind::SubscriptionRevoked:
      log(LogLine("unsubscribed").add("conn", event.connection).add("code", event.code));
      return;
    case Kind::SessionReplaced:
      log(LogLine("session replaced").add("conn", event.connection));
      return;
    case Kind::SlowConsumer: {
      LogLine line("slow consumer");
      if (session != nullptr) {
        line.add("session", shown_id(session->id))
            .add("user", session->claims.subject)
            .add("queued", event.queued)
            .add("buffered_bytes", event.buffered_bytes);
      }
      line.add("conn", event.connection)
          .add("send_buffered_bytes", ws_.buffered_bytes(event.connection))
          .add("cause", event.code);
      log(line);
      return;
    }
    case Kind::PublishNotCommitted:
      log(LogLine("publish not committed")
              .add("session", shown_id(session->id))
              .add("conn", event.connection)
              .add("seq", event.message_id));
      return;
  }
}

// One flush per loop turn: a fan-out to many sessions, or a client's batch,
// costs each connection one pass over its writer, not one per message.
void Server::schedule_flush() {
  if (flush_posted_) return;
  flush_posted_ = loop_.post([this, alive = std::weak_ptr<char>(lifetime_)] {
    if (alive.expired()) return;
    flush_posted_ = false;
    guarded("flush", [&] { flush_dirty(); });
  });
}

void Server::flush_dirty() {
  const core::TimeMs now = loop_.now_ms();
  drain_events();  // sessions that ended reach the broker and the hooks first
  ConnectionId id = 0;
  while (endpoint_->poll_dirty(id)) flush(id, now);
}

// Writes while the socket keeps up: past the transport's send-buffer bound
// nothing more is taken from the session, so at most one frame overshoots.
// Frames go before the close, so auth_failed and errors reach the client.
void Server::flush(ConnectionId id, core::TimeMs now) {
  for (;;) {
    const bool writable = ws_.writable(id);
    endpoint_->set_writable(id, writable);
    core::FrameKind kind = core::FrameKind::Text;
    if (!writable || !endpoint_->poll_transmit(id, frame_, kind, now)) break;
    ++traffic_.frames_out;
    traffic_.bytes_out += frame_.size();
    if (kind == core::FrameKind::Binary) {
      ws_.send_binary(id, frame_);
    } else {
      ws_.send_encoded_text(id, frame_);
    }
  }
  core::TransportAction action;
  while (endpoint_->poll_action(id, action)) {
    if (action.kind == core::TransportAction::Kind::Close) ws_.close(id, action.code, action.reason);
  }
  rearm_timer(id, now);
}

// Re-arms only when the deadline moved earlier. A later deadline (the idle
// timeout moves with every frame) lets the armed timer fire early instead:
// handle_timeout tolerates that, and a busy connection costs no timer churn.
void Server::rearm_timer(ConnectionId id, core::TimeMs now) {
  const core::TimeMs next = endpoint_->next_timeout(id);
  ConnectionTimer& timer = timers_[id];
  if (next >= timer.at) return;
  if (timer.timer != transport::kNoTimer) loop_.cancel_timer(timer.timer);
  timer.timer = loop_.set_timer(next - now, [this, alive = std::weak_ptr<char>(lifetime_), id] {
    if (!alive.expired()) on_timer(id);
  });
  timer.at = timer.timer == transport::kNoTimer ? core::kNever : next;
}

void Server::schedule_sweep() {
  const core::TimeMs interval =
      std::clamp(options_.session.resume_ttl_ms, kMinSweepIntervalMs, kMaxSweepIntervalMs);
  sweep_timer_ = loop_.set_timer(interval, [this, alive = std::weak_ptr<char>(lifetime_)] {
    if (alive.expired()) return;
    sweep_timer_ = transport::kNoTimer;
    guarded("sweep", [&] {
      endpoint_->expire_sessions(loop_.now_ms());
      drain_events();
    });
    if (!stopping_) schedule_sweep();
  });
}

// ---- helpers ------------------------------------------------------------

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
