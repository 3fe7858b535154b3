#include "test_client.h"

#include <chrono>
#include <utility>

namespace tether::test_support {

namespace {

constexpr const char* kSubprotocol = "tether.v1";

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint64_t next_rng_seed() {
  static uint64_t seed = 1;
  return seed++;
}

core::ClientConfig with_clock(core::ClientConfig config, const transport::EventLoop& loop) {
  config.wall_clock_offset_ms = system_clock_ms() - loop.now_ms();
  return config;
}

}  // namespace

core::ClientConfig TestClient::default_config(std::string token) {
  core::ClientConfig config;
  config.token = std::move(token);
  config.backoff.initial_delay_ms = 20;
  config.backoff.max_delay_ms = 200;
  config.backoff.max_attempts = 0;  // never give up
  return config;
}

TestClient::TestClient(transport::EventLoop& loop, std::string url, std::string token)
    : TestClient(loop, std::move(url), default_config(std::move(token))) {}

TestClient::TestClient(transport::EventLoop& loop, std::string url, core::ClientConfig config,
                       transport::ClientConnectOptions transport_options)
    : loop_(loop),
      url_(std::move(url)),
      transport_options_(std::move(transport_options)),
      session_(with_clock(std::move(config), loop), next_rng_seed()),
      ws_(loop) {}

TestClient::~TestClient() {
  if (timer_ != transport::kNoTimer) loop_.cancel_timer(timer_);
}

void TestClient::connect() {
  session_.connect(now());
  pump();
}

void TestClient::close(uint16_t code) {
  session_.close(now(), code);
  pump();
}

bool TestClient::drop_connection() {
  // on_closed follows with 1006; the session then backs off and reconnects.
  return current_ != transport::kNoConnection && ws_.abort(current_);
}

void TestClient::reconnect_now() {
  session_.reconnect_now(now());
  pump();
}

core::SendStatus TestClient::publish(std::string_view channel, std::string_view json, bool reliable) {
  const core::SendStatus status = session_.send(channel, json, reliable, reliable ? next_message_id_ : 0, now());
  if (reliable && status == core::SendStatus::Ok) ++next_message_id_;
  pump();
  return status;
}

core::SendStatus TestClient::publish_bytes(std::string_view channel, std::string_view bytes, bool reliable) {
  const core::SendStatus status = session_.send(channel, bytes, reliable, reliable ? next_message_id_ : 0, now(),
                                                core::PayloadKind::Binary);
  if (reliable && status == core::SendStatus::Ok) ++next_message_id_;
  pump();
  return status;
}

core::SendStatus TestClient::subscribe(std::string_view channel) {
  const core::SendStatus status = session_.subscribe(channel, now());
  pump();
  return status;
}

core::SendStatus TestClient::unsubscribe(std::string_view channel) {
  const core::SendStatus status = session_.unsubscribe(channel, now());
  pump();
  return status;
}

bool TestClient::wait_for(const std::function<bool()>& done, int64_t timeout_ms) {
  return run_until(loop_, done, timeout_ms);
}

bool TestClient::wait_ready(int64_t timeout_ms) {
  return wait_for([this] { return state() == core::ClientState::Ready; }, timeout_ms);
}

bool TestClient::wait_authenticated(size_t count, int64_t timeout_ms) {
  return wait_for(
      [this, count] { return state() == core::ClientState::Ready && this->count(core::ClientEvent::Kind::AuthOk) >= count; },
      timeout_ms);
}

size_t TestClient::count(core::ClientEvent::Kind kind) const {
  size_t found = 0;
  for (const core::ClientEvent& event : events_) found += event.kind == kind ? 1 : 0;
  return found;
}

const core::ClientEvent* TestClient::find(core::ClientEvent::Kind kind,
                                          const std::function<bool(const core::ClientEvent&)>& match) const {
  for (const core::ClientEvent& event : events_) {
    if (event.kind == kind && (!match || match(event))) return &event;
  }
  return nullptr;
}

std::vector<ReceivedMessage> TestClient::messages(std::string_view channel) const {
  std::vector<ReceivedMessage> found;
  for (const core::ClientEvent& event : events_) {
    if (event.kind != core::ClientEvent::Kind::Message) continue;
    if (!channel.empty() && event.channel != channel) continue;
    found.push_back({event.channel, event.data, event.reliable});
  }
  return found;
}

void TestClient::start_connection() {
  transport::ClientConnectOptions options = transport_options_;
  options.url = url_;
  options.subprotocols = {kSubprotocol};
  transport::ClientHandlers handlers;
  handlers.on_open = [this](transport::ConnectionId id) {
    if (id != current_) return;
    open_ = true;
    ++connections_opened_;
    session_.handle_open(now());
    pump();
  };
  handlers.on_text = [this](transport::ConnectionId id, std::string_view text) {
    if (id != current_) return;
    session_.handle_text(text, now());
    pump();
  };
  handlers.on_binary = [this](transport::ConnectionId id, std::string_view bytes) {
    if (id != current_) return;
    session_.handle_binary(bytes, now());
    pump();
  };
  handlers.on_closed = [this](transport::ConnectionId id, const transport::CloseInfo& info) {
    closes_.push_back(info);
    if (id != current_) return;  // one the session already gave up on
    current_ = transport::kNoConnection;
    open_ = false;
    session_.handle_closed(info.code, info.reason, now());
    pump();
  };
  current_ = ws_.connect(options, std::move(handlers));
}

void TestClient::pump() {
  std::string frame;
  core::FrameKind kind = core::FrameKind::Text;
  while (session_.poll_transmit(frame, kind)) {
    if (!open_) continue;
    if (kind == core::FrameKind::Binary) {
      ws_.send_binary(current_, frame);
    } else {
      ws_.send_text(current_, frame);
    }
  }
  core::TransportAction action;
  while (session_.poll_action(action)) {
    if (action.kind == core::TransportAction::Kind::Connect) {
      start_connection();
    } else if (current_ != transport::kNoConnection) {
      // The session is done with this connection: its close is not reported back.
      ws_.close(current_, action.code, action.reason);
      current_ = transport::kNoConnection;
      open_ = false;
    }
  }
  core::ClientEvent event;
  while (session_.poll_event(event)) events_.push_back(std::move(event));
  arm_timer();
}

void TestClient::arm_timer() {
  const core::TimeMs next = session_.next_timeout();
  if (next == timer_at_) return;
  if (timer_ != transport::kNoTimer) loop_.cancel_timer(timer_);
  timer_ = transport::kNoTimer;
  timer_at_ = next;
  if (next == core::kNever) return;
  timer_ = loop_.set_timer(next - now(), [this] {
    timer_ = transport::kNoTimer;
    timer_at_ = core::kNever;
    session_.handle_timeout(now());
    pump();
  });
}

}  // namespace tether::test_support
