#include "capi_harness.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace tether::capi_test {

namespace {
std::string text(const char* pointer, uint32_t length) { return std::string(pointer, length); }
}  // namespace

RecordedEvent record(const tether_event& e) {
  RecordedEvent r;
  r.type = e.type;
  r.connection = e.connection;
  r.state = e.state;
  r.attempt = e.attempt;
  r.close_code = e.close_code;
  r.close_initiator = e.close_initiator;
  r.outcome = e.outcome;
  r.flags = e.flags;
  r.permission_count = e.permission_count;
  r.message_id = e.message_id;
  r.delay_ms = e.delay_ms;
  r.expires_at_ms = e.expires_at_ms;
  r.time_ms = e.time_ms;
  r.timestamp_ms = e.timestamp_ms;
  r.channel = text(e.channel, e.channel_len);
  r.data = text(e.data, e.data_len);
  r.code = text(e.code, e.code_len);
  r.reason = text(e.reason, e.reason_len);
  r.action = text(e.action, e.action_len);
  r.token = text(e.token, e.token_len);
  r.user_id = text(e.user_id, e.user_id_len);
  r.session = text(e.session, e.session_len);
  r.permissions = text(e.permissions, e.permissions_len);
  return r;
}

tether_config test_config(const char* url, const char* token) {
  tether_config config;
  tether_config_init(&config);
  config.url = url;
  config.token = token;
  config.backoff_initial_ms = 50;
  config.backoff_max_ms = 200;
  config.backoff_max_attempts = 0;
  config.seed = 42;
  config.log_level = TETHER_LOG_OFF;
  return config;
}

TestClient::TestClient(const std::string& url, const std::string& token)
    : TestClient(test_config(url.c_str(), token.c_str())) {}

TestClient::TestClient(const tether_config& config) {
  const int32_t result = tether_client_create(&config, &handle_);
  INFO(tether_client_last_error(nullptr));
  REQUIRE(result == TETHER_OK);
  REQUIRE(handle_ != nullptr);
}

TestClient::~TestClient() { tether_client_destroy(handle_); }

int32_t TestClient::pump_once() {
  const int32_t count = tether_client_pump(handle_);
  for (int32_t i = 0; i < count; ++i) {
    const tether_event* event = tether_client_event(handle_, static_cast<uint32_t>(i));
    if (event == nullptr) continue;  // cannot happen; the tests check counts
    events.push_back(record(*event));
    if (event->type == TETHER_EVENT_STATE_CHANGED && event->connection == 0) state_ = event->state;
  }
  return count;
}

bool TestClient::pump_until(const std::function<bool()>& done, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    pump_once();
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a game frame, shortened
  }
}

bool TestClient::wait_state(uint32_t state, int64_t timeout_ms) {
  return pump_until([&] { return state_ == state; }, timeout_ms);
}

size_t TestClient::count(uint32_t type) const {
  size_t n = 0;
  for (const RecordedEvent& e : events) n += e.type == type ? 1 : 0;
  return n;
}

const RecordedEvent* TestClient::find(uint32_t type, const std::function<bool(const RecordedEvent&)>& match) const {
  for (const RecordedEvent& e : events) {
    if (e.type == type && (!match || match(e))) return &e;
  }
  return nullptr;
}

bool TestClient::saw_state(uint32_t state) const { return count_state(state) > 0; }

size_t TestClient::count_state(uint32_t state) const {
  size_t n = 0;
  for (const RecordedEvent& e : events) n += e.type == TETHER_EVENT_STATE_CHANGED && e.state == state ? 1 : 0;
  return n;
}

int64_t timed_destroy(tether_client* handle) {
  const auto start = std::chrono::steady_clock::now();
  tether_client_destroy(handle);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace tether::capi_test
