#pragma once
// Helpers for tests of the C API: a client that owns its handle and keeps a
// copy of every event it pumped (event pointers die at the next pump).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tether/tether.h"

namespace tether::capi_test {

// Generous: passing tests never wait this long.
constexpr int64_t kDeadlineMs = 10000;

// How fast destroy must return from any state (tether.h promises "quickly").
constexpr int64_t kQuickMs = 100;

// Destroys `handle` and returns how long that took, in milliseconds.
int64_t timed_destroy(tether_client* handle);

struct RecordedEvent {
  uint32_t type = 0;
  uint32_t connection = 0;
  uint32_t state = 0;
  uint32_t attempt = 0;
  uint32_t close_code = 0;
  uint32_t close_initiator = 0;
  uint32_t outcome = 0;
  uint32_t flags = 0;
  uint32_t permission_count = 0;
  uint64_t message_id = 0;
  int64_t delay_ms = 0;
  int64_t expires_at_ms = 0;
  int64_t time_ms = 0;
  int64_t timestamp_ms = 0;
  std::string channel, data, code, reason, action, token, user_id, session, permissions;
};

RecordedEvent record(const tether_event& event);

// Defaults for tests: fast reconnects that never give up, fixed seed, no logs.
tether_config test_config(const char* url, const char* token);

// A created client (REQUIREs success), destroyed with the test.
class TestClient {
 public:
  TestClient(const std::string& url, const std::string& token);
  explicit TestClient(const tether_config& config);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  tether_client* handle() const { return handle_; }
  // Pumps (recording events) until done() holds or the deadline passes.
  bool pump_until(const std::function<bool()>& done, int64_t timeout_ms = kDeadlineMs);
  bool wait_state(uint32_t state, int64_t timeout_ms = kDeadlineMs);
  // One pump; returns how many events it brought.
  int32_t pump_once();

  size_t count(uint32_t type) const;
  const RecordedEvent* find(uint32_t type, const std::function<bool(const RecordedEvent&)>& match = {}) const;
  bool saw_state(uint32_t state) const;
  size_t count_state(uint32_t state) const;  // STATE_CHANGED events into `state`
  uint32_t current_state() const { return state_; }

  std::vector<RecordedEvent> events;

 private:
  tether_client* handle_ = nullptr;
  uint32_t state_ = TETHER_STATE_IDLE;  // of connection 0, from the events
};

}  // namespace tether::capi_test
