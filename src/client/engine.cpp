#include "client/engine.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "client/event_buffer.h"
#include "client/pool_slot.h"
#include "client/transport_reports.h"
#include "core/rng.h"
#include "transport/ws_client.h"

namespace tether::client {

using core::ClientEvent;
using core::ClientSession;
using core::kNever;
using core::SendStatus;
using core::TimeMs;
using core::TransportAction;
using transport::ConnectionId;
using transport::kNoConnection;
using transport::kNoTimer;

namespace {

int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

class Engine::Impl {
 public:
  Impl(EngineConfig config, uint64_t seed)
      : config_(std::move(config)),
        router_(config_.strategy, seed),
        sim_rng_(seed ^ 0x5eedULL),
        log_level_(static_cast<int32_t>(config_.log_level)) {
    wall_offset_ms_ = system_now_ms() - loop_.now_ms();
    config_.session.wall_clock_offset_ms = wall_offset_ms_;
    // Frames come from WsClient as text frames, which websocketpp has
    // checked for UTF-8 already: the codec need not again.
    config_.session.limits.text_is_utf8 = true;
    for (uint32_t i = 0; i < config_.pool_size; ++i) {
      slots_.push_back(std::make_unique<PoolSlot>(i, config_.urls.size(), config_.session,
                                                  seed + 0x9E3779B97F4A7C15ull * (i + 1)));
    }
    if (pumped()) {
      ws_ = std::make_unique<transport::WsClient>(loop_);
    } else {
      io_thread_ = std::thread([this] { run_io_thread(); });
    }
  }

  ~Impl() {
    if (pumped()) {
      ws_.reset();  // the loop's handlers run on this thread, and none is running
      return;
    }
    // Drop the transport on its own thread, then let the thread end.
    if (!loop_.post([this] {
          ws_.reset();
          loop_.stop();
        })) {
      loop_.stop();
    }
    if (io_thread_.joinable()) io_thread_.join();
  }

  void halt_for_exit() noexcept {
    // No host code runs on the io thread, so this is never that thread.
    if (pumped() || !io_thread_.joinable() || io_thread_.get_id() == std::this_thread::get_id()) return;
    loop_.stop();  // an atomic and Asio's stop: no lock a dying thread could hold
    try {
      io_thread_.join();
    } catch (...) {
      // Nothing left to do at exit.
    }
  }

  // ---- host-facing commands (any thread) ---------------------------------

  void for_each_session(void (ClientSession::*command)(TimeMs)) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const TimeMs now = loop_.now_ms();
      for (auto& slot : slots_) (slot->session.*command)(now);
    }
    request_flush();
  }

  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const TimeMs now = loop_.now_ms();
      for (auto& slot : slots_) slot->session.close(now);
    }
    request_flush();
  }

  bool set_token(std::string token) {
    if (!core::is_valid_utf8(token)) return false;  // every session would refuse it alike
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const TimeMs now = loop_.now_ms();
      for (auto& slot : slots_) slot->session.set_token(token, now);
    }
    request_flush();
    return true;
  }

  SendStatus send(std::string_view channel, std::string_view data, bool reliable, uint64_t* message_id,
                  core::PayloadKind payload) {
    const uint64_t id = reliable ? next_message_id_.fetch_add(1) + 1 : 0;
    SendStatus status;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const size_t index = router_.pick(channel, slots_);
      PoolSlot& slot = *slots_[index];
      status = slot.session.send(channel, data, reliable, id, loop_.now_ms(), payload);
      if (status == SendStatus::Ok) ++slot.routed;
      if (status == SendStatus::Ok && reliable) router_.on_queued(channel, index, id);
    }
    if (status == SendStatus::Ok) {
      if (message_id != nullptr) *message_id = id;
      request_flush();
    }
    return status;
  }

  SendStatus subscription(std::string_view channel, bool subscribe) {
    SendStatus status;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Always the channel's home connection: one subscription per channel.
      PoolSlot& slot = *slots_[Balancer::channel_home(channel, slots_.size())];
      const TimeMs now = loop_.now_ms();
      status = subscribe ? slot.session.subscribe(channel, now) : slot.session.unsubscribe(channel, now);
    }
    if (status == SendStatus::Ok) request_flush();
    return status;
  }

  size_t pump() {
    if (pumped()) {
      loop_.poll();  // the network work of IoMode::Pump, on the pumping thread
      return take_pending_events();
    }
    const size_t count = take_pending_events();
    if (count == 0) yield_if_spinning();
    return count;
  }

  size_t take_pending_events() {
    // Most frames of a polling game have nothing new: skip the lock then
    // (unless a drained backlog's memory is still to be given back).
    if (pending_events_.load(std::memory_order_acquire) == 0 && front_.size() == 0 && !trimmer_.watching()) {
      return 0;
    }
    // The previous pump's events are done with. After a backlog, free what
    // recent pumps did not need; each buffer is front_ every other pump.
    if (trimmer_.watching() && trimmer_.wants_release(front_)) front_.release(trimmer_.keep_slots());
    size_t count;
    bool was_paused;
    {
      std::lock_guard<std::mutex> lock(events_mutex_);
      std::swap(front_, back_);
      back_.clear();
      pending_events_.store(0, std::memory_order_release);
      count = front_.size();
      was_paused = inbound_paused_;
      inbound_paused_ = false;
    }
    trimmer_.observe(count, front_.bytes());
    if (was_paused) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        for (auto& slot : slots_) slot->session.set_inbound_paused(false);
      }
      request_flush();  // a session may ask for what it let go (an ack with "resend")
    }
    return count;
  }

  // A host that calls pump() in a tight loop holds the core the io thread
  // needs: sharing one core, network progress would wait until the scheduler
  // preempts the host, milliseconds later. Two empty pumps closer than
  // kSpinGap mean such a loop, so the host gives its time slice away. A game
  // pumping once per frame never yields. Pumping thread only.
  void yield_if_spinning() {
    constexpr std::chrono::microseconds kSpinGap{100};
    const auto now = std::chrono::steady_clock::now();
    if (now - last_empty_pump_ < kSpinGap) std::this_thread::yield();
    last_empty_pump_ = now;
  }

  const EngineEvent& event(size_t index) const { return front_[index]; }

  PendingEventStats pending_event_stats() const {
    PendingEventStats stats;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::lock_guard<std::mutex> events_lock(events_mutex_);
      stats = pending_;
      stats.events = back_.size();
      stats.bytes = back_.bytes();
      for (const auto& s : slots_) {
        stats.held_messages += s->session.receiver().buffered();
        stats.held_bytes += s->session.receiver().buffered_bytes();
      }
      stats.buffer_slots = back_.slots();
      stats.retained_bytes = back_.retained_bytes();
    }
    stats.buffer_slots += front_.slots();
    stats.retained_bytes += front_.retained_bytes();
    return stats;
  }

  uint32_t pool_size() const { return static_cast<uint32_t>(slots_.size()); }

  ConnectionStats connection_stats(uint32_t index) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_of(*slots_[index]);
  }

  ConnectionStats pool_stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pool_stats_of(slots_);
  }

  void set_simulation(const NetworkSimulation& simulation) {
    std::lock_guard<std::mutex> lock(mutex_);
    config_.simulation = simulation;
  }

  // Cuts the connections open now, not whatever is open when the loop gets
  // to it: a cut made while offline must not kill the connection that a
  // later connect() opens (the loop may open it before this task runs).
  void simulate_cut(int32_t index) {
    std::vector<std::pair<uint32_t, ConnectionId>> open;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& slot : slots_) {
        if (index >= 0 && slot->index != static_cast<uint32_t>(index)) continue;
        if (slot->connection != kNoConnection) open.emplace_back(slot->index, slot->connection);
      }
    }
    if (open.empty()) return;
    loop_.post([this, open = std::move(open)] {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& [slot_index, connection] : open) {
        if (slots_[slot_index]->connection == connection) ws_->abort(connection);
      }
    });
  }

  void set_log_level(LogLevel level) { log_level_ = static_cast<int32_t>(level); }

 private:
  bool pumped() const { return config_.io_mode == IoMode::Pump; }

  // ---- io thread (or pump(), in IoMode::Pump) --------------------------------

  void run_io_thread() {
    ws_ = std::make_unique<transport::WsClient>(loop_);
    loop_.run();
    ws_.reset();
  }

  void request_flush() {
    if (flush_posted_.exchange(true)) return;
    loop_.post([this] {
      flush_posted_ = false;
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& slot : slots_) drive(*slot);
    });
  }

  // Drains a session's outputs into the transport and the host queue.
  // Called on the io thread with mutex_ held, after every input.
  void drive(PoolSlot& slot) {
    TransportAction action;
    while (slot.session.poll_action(action)) {
      if (action.kind == TransportAction::Kind::Connect) {
        open_transport(slot);
      } else {
        close_transport(slot, action.code, action.reason);
      }
    }
    core::FrameKind kind = core::FrameKind::Text;
    while (slot.session.poll_transmit(frame_, kind)) transmit(slot, frame_, kind);
    ClientEvent event;
    while (slot.session.poll_event(event)) {
      if (event.kind == ClientEvent::Kind::Acked || event.kind == ClientEvent::Kind::SendFailed) {
        router_.on_resolved(event.message_id);
      }
      publish(slot, std::move(event));
    }
    {
      // A frame may have grown a reorder buffer without adding any event.
      std::lock_guard<std::mutex> lock(events_mutex_);
      limit_pending();
    }
    arm_timer(slot);
  }

  void open_transport(PoolSlot& slot) {
    transport::ClientConnectOptions options;
    options.url = config_.urls[slot.url_index];
    options.subprotocols = {core::kSubprotocol};
    options.connect_timeout_ms = config_.session.connect_timeout_ms;
    options.max_message_size = config_.session.limits.max_frame_bytes;
    options.verify_peer = config_.tls_verify_peer;
    options.ca_file = config_.tls_ca_file;
    options.ca_pem = config_.tls_ca_pem;
    options.pinned_spki_sha256 = config_.tls_pinned_spki_sha256;
    const uint32_t index = slot.index;
    transport::ClientHandlers handlers;
    handlers.on_open = [this, index](ConnectionId id) { on_open(index, id); };
    handlers.on_text = [this, index](ConnectionId id, std::string_view text) {
      on_frame(index, id, text, core::FrameKind::Text);
    };
    handlers.on_binary = [this, index](ConnectionId id, std::string_view bytes) {
      on_frame(index, id, bytes, core::FrameKind::Binary);
    };
    handlers.on_closed = [this, index](ConnectionId id, const transport::CloseInfo& info) {
      on_closed(index, id, info);
    };
    log(slot, LogLevel::Debug, "connecting to " + options.url);
    slot.connection = ws_->connect(options, std::move(handlers));
  }

  void close_transport(PoolSlot& slot, uint16_t code, const std::string& reason) {
    if (slot.connection == kNoConnection) return;
    // The session is done with this connection; its on_closed is ignored.
    if (!ws_->close(slot.connection, code, reason)) ws_->abort(slot.connection);
    slot.connection = kNoConnection;
    slot.sim_outbound.clear();
    slot.sim_inbound.clear();
    slot.after_connection_end();  // before a Connect this drive may still hold
  }

  void transmit(PoolSlot& slot, std::string& frame, core::FrameKind kind) {
    if (slot.connection == kNoConnection) return;
    const NetworkSimulation& sim = config_.simulation;
    if (sim.drop_rate > 0 && sim_rng_.next_unit() < sim.drop_rate) {
      ++slot.sim_dropped;
      return;
    }
    if (sim.latency_ms > 0 || !slot.sim_outbound.empty()) {
      slot.sim_outbound.push_back({loop_.now_ms() + sim.latency_ms, std::move(frame), kind});
      arm_sim_timer(slot);
      return;
    }
    send_frame(slot, frame, kind);
  }

  // A frame the transport refuses (e.g. text that is not UTF-8) must not
  // vanish: the session would wait for an ack that cannot come. Report it
  // and fail the connection, so the session reconnects and resends.
  void send_frame(PoolSlot& slot, const std::string& frame, core::FrameKind kind) {
    if (slot.connection == kNoConnection || slot.connection == slot.refused_connection) return;
    // Text frames are the codec's, UTF-8 by construction (ClientSession
    // refuses a token that is not; everything else is checked on the way in).
    const bool sent = kind == core::FrameKind::Binary ? ws_->send_binary(slot.connection, frame, &refusal_)
                                                      : ws_->send_encoded_text(slot.connection, frame, &refusal_);
    if (sent || refusal_.empty()) return;
    slot.refused_connection = slot.connection;
    ClientEvent error;
    error.kind = ClientEvent::Kind::Error;
    error.code = "frame_refused";
    error.reason = "the transport refused a frame (" + refusal_ + "); reconnecting to resend";
    append_event(slot, EngineEvent::Kind::Session, LogLevel::Error, std::move(error));
    ws_->abort(slot.connection);  // on_closed follows, as for a dropped link
  }

  void on_open(uint32_t index, ConnectionId id) {
    std::lock_guard<std::mutex> lock(mutex_);
    PoolSlot& slot = *slots_[index];
    if (id != slot.connection) return;
    log(slot, LogLevel::Debug, "connected to " + config_.urls[slot.url_index]);
    slot.session.handle_open(loop_.now_ms());
    drive(slot);
  }

  void on_frame(uint32_t index, ConnectionId id, std::string_view frame, core::FrameKind kind) {
    std::lock_guard<std::mutex> lock(mutex_);
    PoolSlot& slot = *slots_[index];
    if (id != slot.connection) return;
    const NetworkSimulation& sim = config_.simulation;
    if (sim.drop_rate > 0 && sim_rng_.next_unit() < sim.drop_rate) {
      ++slot.sim_dropped;
      return;
    }
    if (sim.latency_ms > 0 || !slot.sim_inbound.empty()) {
      slot.sim_inbound.push_back({loop_.now_ms() + sim.latency_ms, std::string(frame), kind});
      arm_sim_timer(slot);
      return;
    }
    receive(slot, frame, kind, loop_.now_ms());
    drive(slot);
  }

  static void receive(PoolSlot& slot, std::string_view frame, core::FrameKind kind, TimeMs now) {
    if (kind == core::FrameKind::Binary) {
      slot.session.handle_binary(frame, now);
    } else {
      slot.session.handle_text(frame, now);
    }
  }

  void on_closed(uint32_t index, ConnectionId id, const transport::CloseInfo& info) {
    std::lock_guard<std::mutex> lock(mutex_);
    PoolSlot& slot = *slots_[index];
    if (id != slot.connection) return;
    slot.connection = kNoConnection;
    slot.sim_outbound.clear();
    slot.sim_inbound.clear();
    std::string reason = info.reason.empty() ? info.detail : info.reason;
    if (info.error != transport::TransportError::None) {
      ClientEvent failure;
      failure.kind = ClientEvent::Kind::Error;
      failure.code = transport_error_code(info.error);
      failure.reason = info.detail;
      failure.close_code = info.code;
      append_event(slot, EngineEvent::Kind::Transport, LogLevel::Info, std::move(failure));
    }
    log(slot, LogLevel::Info,
        "connection closed: code " + std::to_string(info.code) + " (" + transport::to_string(info.initiator) +
            (reason.empty() ? "" : ", " + reason) + ")");
    slot.session.handle_closed(info.code, reason, loop_.now_ms(), core_initiator(info.initiator));
    slot.after_connection_end();
    drive(slot);
  }

  void arm_timer(PoolSlot& slot) {
    const TimeMs next = slot.session.next_timeout();
    // A timer that fires early is harmless (the session re-checks), so only
    // an earlier deadline needs a new timer; this keeps timer churn low.
    if (slot.timer != kNoTimer && slot.timer_at <= next) return;
    if (slot.timer != kNoTimer) loop_.cancel_timer(slot.timer);
    slot.timer = kNoTimer;
    slot.timer_at = next;
    if (next == kNever) return;
    const uint32_t index = slot.index;
    slot.timer = loop_.set_timer(next - loop_.now_ms(), [this, index] {
      std::lock_guard<std::mutex> lock(mutex_);
      PoolSlot& s = *slots_[index];
      s.timer = kNoTimer;
      s.timer_at = kNever;
      s.session.handle_timeout(loop_.now_ms());
      drive(s);
    });
  }

  void arm_sim_timer(PoolSlot& slot) {
    TimeMs next = kNever;
    if (!slot.sim_outbound.empty()) next = slot.sim_outbound.front().due;
    if (!slot.sim_inbound.empty()) next = std::min(next, slot.sim_inbound.front().due);
    if (slot.sim_timer != kNoTimer && slot.sim_timer_at <= next) return;
    if (slot.sim_timer != kNoTimer) loop_.cancel_timer(slot.sim_timer);
    slot.sim_timer = kNoTimer;
    slot.sim_timer_at = next;
    if (next == kNever) return;
    const uint32_t index = slot.index;
    slot.sim_timer = loop_.set_timer(next - loop_.now_ms(), [this, index] {
      std::lock_guard<std::mutex> lock(mutex_);
      PoolSlot& s = *slots_[index];
      s.sim_timer = kNoTimer;
      s.sim_timer_at = kNever;
      release_delayed(s);
    });
  }

  void release_delayed(PoolSlot& slot) {
    const TimeMs now = loop_.now_ms();
    while (!slot.sim_outbound.empty() && slot.sim_outbound.front().due <= now) {
      send_frame(slot, slot.sim_outbound.front().frame, slot.sim_outbound.front().kind);
      slot.sim_outbound.pop_front();
    }
    bool delivered = false;
    while (!slot.sim_inbound.empty() && slot.sim_inbound.front().due <= now) {
      receive(slot, slot.sim_inbound.front().frame, slot.sim_inbound.front().kind, now);
      slot.sim_inbound.pop_front();
      delivered = true;
    }
    if (delivered) drive(slot);
    arm_sim_timer(slot);
  }

  // ---- events to the host ---------------------------------------------------

  // Caller holds mutex_; takes events_mutex_ (always in that order).
  // The whole event is written under events_mutex_: a pump() may swap the
  // buffers at any moment, and the host reads the front one without a lock.
  void append_event(PoolSlot& slot, EngineEvent::Kind kind, LogLevel level, ClientEvent&& body) {
    std::lock_guard<std::mutex> lock(events_mutex_);
    EngineEvent& e = back_.append();
    e.kind = kind;
    e.connection = slot.index;
    e.time_ms = loop_.now_ms() + wall_offset_ms_;
    e.log_level = level;
    e.session = std::move(body);
    back_.add_bytes(event_bytes(e));
    pending_events_.store(back_.size(), std::memory_order_release);
    limit_pending();
  }

  // Caller holds mutex_ and events_mutex_. At a limit the host is not
  // keeping up: stop taking in messages until it pumps. Reliable messages a
  // session holds back for reordering are not counted (its receive window
  // bounds them): pausing for them would also turn away the one message that
  // releases them. They are measured, as they all become events at once.
  void limit_pending() {
    size_t held_bytes = 0;
    for (const auto& s : slots_) held_bytes += s->session.receiver().buffered_bytes();
    pending_.high_water_events = std::max(pending_.high_water_events, back_.size());
    pending_.high_water_bytes = std::max(pending_.high_water_bytes, back_.bytes());
    pending_.high_water_held_bytes = std::max(pending_.high_water_held_bytes, held_bytes);
    if (inbound_paused_ ||
        (back_.size() < config_.max_pending_events && back_.bytes() < config_.max_pending_event_bytes)) {
      return;
    }
    inbound_paused_ = true;
    ++pending_.pauses;
    for (auto& s : slots_) s->session.set_inbound_paused(true);
  }

  void publish(PoolSlot& slot, ClientEvent&& event) {
    if (event.kind == ClientEvent::Kind::StateChanged) {
      log(slot, LogLevel::Info, std::string("state: ") + core::client_state_name(event.state));
    }
    append_event(slot, EngineEvent::Kind::Session, LogLevel::Info, std::move(event));
  }

  void log(PoolSlot& slot, LogLevel level, std::string text) {
    if (static_cast<int32_t>(level) < log_level_.load()) return;
    ClientEvent line;
    line.reason = std::move(text);
    append_event(slot, EngineEvent::Kind::Log, level, std::move(line));
  }

  EngineConfig config_;
  transport::EventLoop loop_;
  std::unique_ptr<transport::WsClient> ws_;  // the loop's thread only (the io thread, or the pumping one)
  std::thread io_thread_;
  int64_t wall_offset_ms_ = 0;

  mutable std::mutex mutex_;  // sessions, slots, router, simulation
  PoolSlots slots_;
  PoolRouter router_;
  core::SeededRng sim_rng_;
  std::string frame_;  // reused transmit buffer
  std::string refusal_;  // why the transport refused a frame; reused
  std::atomic<uint64_t> next_message_id_{0};
  std::atomic<bool> flush_posted_{false};
  std::atomic<int32_t> log_level_;

  mutable std::mutex events_mutex_;  // back_, inbound_paused_ and pending_
  EventBuffer back_;         // filled by the io thread
  EventBuffer front_;        // read by the host between pumps
  EventBufferTrimmer trimmer_;  // pumping thread only
  std::chrono::steady_clock::time_point last_empty_pump_;  // pumping thread only
  bool inbound_paused_ = false;
  PendingEventStats pending_;  // high-water marks and pauses
  std::atomic<size_t> pending_events_{0};  // back_.size(), readable without the lock
};

// ---- Engine ------------------------------------------------------------------

std::unique_ptr<Engine> Engine::create(EngineConfig config, std::string* error) {
  if (const char* problem = validate(config)) {
    if (error != nullptr) *error = problem;
    return nullptr;
  }
  uint64_t seed = config.seed;
  if (seed == 0) {
    std::random_device device;
    seed = (static_cast<uint64_t>(device()) << 32) ^ device();
  }
  return std::unique_ptr<Engine>(new Engine(std::make_unique<Impl>(std::move(config), seed)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

void Engine::halt_for_exit() noexcept { impl_->halt_for_exit(); }
void Engine::construct_process_state() noexcept { transport::WsClient::construct_process_state(); }

void Engine::connect() { impl_->for_each_session(&ClientSession::connect); }
void Engine::close() { impl_->close(); }
void Engine::reconnect_now() { impl_->for_each_session(&ClientSession::reconnect_now); }
bool Engine::set_token(std::string token) { return impl_->set_token(std::move(token)); }

SendStatus Engine::send(std::string_view channel, std::string_view data, bool reliable, uint64_t* message_id,
                        core::PayloadKind payload) {
  return impl_->send(channel, data, reliable, message_id, payload);
}
SendStatus Engine::subscribe(std::string_view channel) { return impl_->subscription(channel, true); }
SendStatus Engine::unsubscribe(std::string_view channel) { return impl_->subscription(channel, false); }

size_t Engine::pump() { return impl_->pump(); }
const EngineEvent& Engine::event(size_t index) const { return impl_->event(index); }
PendingEventStats Engine::pending_event_stats() const { return impl_->pending_event_stats(); }

uint32_t Engine::pool_size() const { return impl_->pool_size(); }
ConnectionStats Engine::connection_stats(uint32_t index) const { return impl_->connection_stats(index); }
ConnectionStats Engine::pool_stats() const { return impl_->pool_stats(); }

void Engine::set_simulation(const NetworkSimulation& simulation) { impl_->set_simulation(simulation); }
void Engine::simulate_cut(int32_t index) { impl_->simulate_cut(index); }
void Engine::set_log_level(LogLevel level) { impl_->set_log_level(level); }

}  // namespace tether::client
