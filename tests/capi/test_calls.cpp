// Immediate results of commands on a client that is not connected: payload
// and channel checks, queue limits, wrong state, argument checks, names.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <thread>

#include "capi_harness.h"
#include "tether/tether.h"

using namespace tether::capi_test;

namespace {

constexpr const char* kNowhere = "ws://127.0.0.1:1";  // nothing listens there

int32_t send_text(tether_client* client, const char* channel, const std::string& json, uint32_t flags = 0,
                  uint64_t* message_id = nullptr) {
  return tether_client_send(client, channel, json.data(), json.size(), flags, message_id);
}

}  // namespace

TEST_CASE("send checks payload, channel and flags before queueing", "[capi]") {
  tether_config config = test_config(kNowhere, "token");
  config.max_message_bytes = 1024;
  TestClient client(config);
  tether_client* c = client.handle();

  CHECK(send_text(c, "room", "{\"x\":1}") == TETHER_OK);
  CHECK(send_text(c, "room", "{not json") == TETHER_ERROR_INVALID_PAYLOAD);
  CHECK(std::string(tether_client_last_error(c)) == "send: invalid_payload");
  CHECK(send_text(c, "room", "{} {}") == TETHER_ERROR_INVALID_PAYLOAD);
  CHECK(send_text(c, "room", "\"\xff\xfe\"") == TETHER_ERROR_INVALID_PAYLOAD);
  CHECK(send_text(c, "room", std::string(40, '[') + std::string(40, ']')) == TETHER_ERROR_INVALID_PAYLOAD);
  CHECK(send_text(c, "room", "") == TETHER_ERROR_INVALID_PAYLOAD);
  CHECK(send_text(c, "room", "\"" + std::string(2000, 'a') + "\"") == TETHER_ERROR_PAYLOAD_TOO_LARGE);
  CHECK(send_text(c, "", "1") == TETHER_ERROR_INVALID_CHANNEL);
  CHECK(send_text(c, nullptr, "1") == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_send(c, "room", nullptr, 0, 0, nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(send_text(c, "room", "1", 0x80) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(tether_client_last_error(c)) == "send: unknown flags");
  // json_len is honoured: the bytes after it are not part of the payload.
  CHECK(tether_client_send(c, "room", "12garbage", 2, 0, nullptr) == TETHER_OK);
  CHECK(tether_client_subscribe(c, "") == TETHER_ERROR_INVALID_CHANNEL);
  CHECK(tether_client_subscribe(c, nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_unsubscribe(c, nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_set_token(c, nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  // It would go out inside a JSON text frame, which must be UTF-8.
  CHECK(tether_client_set_token(c, "not-utf8-\xff") == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(tether_client_last_error(c)).find("UTF-8") != std::string::npos);
  CHECK(tether_client_set_token(c, "still-fine") == TETHER_OK);
}

TEST_CASE("reliable sends get unique non-zero ids, unreliable ones 0", "[capi]") {
  TestClient client(kNowhere, "token");
  std::set<uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    uint64_t id = 0;
    REQUIRE(send_text(client.handle(), "room", "1", TETHER_SEND_RELIABLE, &id) == TETHER_OK);
    CHECK(id != 0);
    ids.insert(id);
  }
  CHECK(ids.size() == 5);
  uint64_t id = 99;
  REQUIRE(send_text(client.handle(), "room", "1", 0, &id) == TETHER_OK);
  CHECK(id == 0);
}

TEST_CASE("a full offline queue fails the send at once", "[capi]") {
  tether_config config = test_config(kNowhere, "token");
  config.queue_max_messages = 2;
  TestClient client(config);
  CHECK(send_text(client.handle(), "room", "1", TETHER_SEND_RELIABLE) == TETHER_OK);
  CHECK(send_text(client.handle(), "room", "2", TETHER_SEND_RELIABLE) == TETHER_OK);
  CHECK(send_text(client.handle(), "room", "3", TETHER_SEND_RELIABLE) == TETHER_ERROR_QUEUE_FULL);
  tether_stats stats{};
  stats.struct_size = sizeof(stats);
  REQUIRE(tether_client_pool_stats(client.handle(), &stats) == TETHER_OK);
  CHECK(stats.queued == 2);
}

TEST_CASE("after close, sends fail with WRONG_STATE until connect", "[capi]") {
  TestClient client(kNowhere, "token");
  tether_client* c = client.handle();
  uint64_t id = 0;
  REQUIRE(send_text(c, "room", "1", TETHER_SEND_RELIABLE, &id) == TETHER_OK);
  REQUIRE(tether_client_close(c) == TETHER_OK);
  CHECK(send_text(c, "room", "2") == TETHER_ERROR_WRONG_STATE);
  CHECK(tether_client_subscribe(c, "room") == TETHER_ERROR_WRONG_STATE);
  CHECK(std::string(tether_client_last_error(c)) == "subscribe: wrong_state");

  // The queued reliable send resolves as closed, and the state change says who closed.
  REQUIRE(client.wait_state(TETHER_STATE_CLOSED));
  const RecordedEvent* failed = client.find(TETHER_EVENT_SEND_FAILED);
  REQUIRE(failed != nullptr);
  CHECK(failed->message_id == id);
  CHECK(failed->outcome == TETHER_OUTCOME_CLOSED);
  const RecordedEvent* closed = client.find(TETHER_EVENT_STATE_CHANGED);
  REQUIRE(closed != nullptr);
  CHECK(closed->close_initiator == TETHER_CLOSED_BY_LOCAL);

  REQUIRE(tether_client_connect(c) == TETHER_OK);
  CHECK(send_text(c, "room", "3") == TETHER_OK);
}

TEST_CASE("last_error is per client and kept until the next failure", "[capi]") {
  TestClient a(kNowhere, "token");
  TestClient b(kNowhere, "token");
  CHECK(std::string(tether_client_last_error(a.handle())).empty());
  CHECK(send_text(a.handle(), "", "1") == TETHER_ERROR_INVALID_CHANNEL);
  CHECK(send_text(a.handle(), "room", "1") == TETHER_OK);
  CHECK(std::string(tether_client_last_error(a.handle())) == "send: invalid_channel");
  CHECK(std::string(tether_client_last_error(b.handle())).empty());
}

TEST_CASE("pump on a quiet client returns 0 and event() bounds-checks", "[capi]") {
  TestClient client(kNowhere, "token");
  CHECK(tether_client_pump(client.handle()) == 0);
  CHECK(tether_client_event(client.handle(), 0) == nullptr);
  CHECK(std::string(tether_client_last_error(client.handle())) == "event index out of range");
}

TEST_CASE("pump_events hands over the same events as one array", "[capi]") {
  TestClient client(kNowhere, "token");
  const tether_event not_an_event{};
  const tether_event* events = &not_an_event;
  CHECK(tether_client_pump_events(client.handle(), &events) == 0);
  CHECK(events == nullptr);  // nothing to read
  CHECK(tether_client_pump_events(client.handle(), nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(std::string(tether_client_last_error(client.handle())) == "out_events is NULL");

  // Connecting to nowhere makes events (state changes, the failure).
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  int32_t count = 0;
  for (int turn = 0; turn < 2000 && count == 0; ++turn) {
    count = tether_client_pump_events(client.handle(), &events);
    if (count == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(count > 0);
  REQUIRE(events != nullptr);
  CHECK(events[0].type == TETHER_EVENT_STATE_CHANGED);
  for (int32_t i = 0; i < count; ++i) {
    CHECK(tether_client_event(client.handle(), static_cast<uint32_t>(i)) == &events[i]);
  }
  CHECK(tether_client_event(client.handle(), static_cast<uint32_t>(count)) == nullptr);
}

TEST_CASE("stats, simulator and log level reject bad arguments", "[capi]") {
  tether_config config = test_config(kNowhere, "token");
  config.pool_size = 2;
  TestClient client(config);
  tether_client* c = client.handle();
  tether_stats stats{};
  CHECK(tether_client_pool_stats(c, &stats) == TETHER_ERROR_INVALID_ARGUMENT);  // struct_size unset
  stats.struct_size = sizeof(stats);
  CHECK(tether_client_pool_stats(c, nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_connection_stats(c, 2, &stats) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_connection_stats(c, 1, &stats) == TETHER_OK);
  CHECK(stats.state == TETHER_STATE_IDLE);
  CHECK(tether_client_pool_size(c) == 2);

  CHECK(tether_client_simulate(c, -1, 0) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_simulate(c, 0, 1.0) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_simulate(c, 0, -0.1) == TETHER_ERROR_INVALID_ARGUMENT);
  // Beyond 7 days (604800000 ms) a latency would overflow now + latency.
  CHECK(tether_client_simulate(c, INT64_MAX, 0) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_simulate(c, 604800001, 0) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_simulate(c, 604800000, 0) == TETHER_OK);
  CHECK(tether_client_simulate(c, 0, std::numeric_limits<double>::quiet_NaN()) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_simulate(c, 50, 0.5) == TETHER_OK);
  CHECK(tether_client_simulate(c, 0, 0) == TETHER_OK);
  CHECK(tether_client_simulate_cut(c, 2) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_simulate_cut(c, -2) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_simulate_cut(c, -1) == TETHER_OK);
  CHECK(tether_client_simulate_cut(c, 1) == TETHER_OK);
  CHECK(tether_client_set_log_level(c, 5) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_set_log_level(c, -1) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(tether_client_set_log_level(c, TETHER_LOG_DEBUG) == TETHER_OK);
}

TEST_CASE("log events carry the level and the line, the library prints nothing", "[capi]") {
  TestClient client(kNowhere, "token");
  REQUIRE(tether_client_set_log_level(client.handle(), TETHER_LOG_DEBUG) == TETHER_OK);
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.find(TETHER_EVENT_LOG) != nullptr; }));
  const RecordedEvent* log = client.find(TETHER_EVENT_LOG);
  CHECK(log->reason.find("connecting to ws://127.0.0.1:1") != std::string::npos);
  CHECK(log->time_ms > 1600000000000);  // Unix ms, not a monotonic clock
  CHECK(log->reason.size() == std::string(log->reason.c_str()).size());
}

TEST_CASE("an unreachable server yields a transport error, then reconnecting", "[capi]") {
  TestClient client(kNowhere, "token");
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_RECONNECTING));
  const RecordedEvent* error = client.find(TETHER_EVENT_TRANSPORT_ERROR);
  REQUIRE(error != nullptr);
  CHECK(error->code == "connect_failed");
  const RecordedEvent* reconnecting = client.find(
      TETHER_EVENT_STATE_CHANGED, [](const RecordedEvent& e) { return e.state == TETHER_STATE_RECONNECTING; });
  CHECK(reconnecting->attempt == 1);
  CHECK(reconnecting->close_initiator == TETHER_CLOSED_BY_TRANSPORT);
  CHECK(reconnecting->delay_ms <= 50);  // the first, jittered backoff_initial_ms
}

TEST_CASE("gave up after max attempts, reconnect_now starts over", "[capi]") {
  tether_config config = test_config(kNowhere, "token");
  config.backoff_initial_ms = 1;
  config.backoff_max_ms = 1;
  config.backoff_max_attempts = 2;
  TestClient client(config);
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.wait_state(TETHER_STATE_GAVE_UP));
  CHECK(send_text(client.handle(), "room", "1") == TETHER_ERROR_WRONG_STATE);
  const size_t attempts_before = client.count_state(TETHER_STATE_CONNECTING);
  REQUIRE(tether_client_reconnect_now(client.handle()) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.count_state(TETHER_STATE_CONNECTING) > attempts_before; }));
}

TEST_CASE("every result, state and event type has a name", "[capi]") {
  std::set<std::string> names;
  for (int32_t code = TETHER_ERROR_INTERNAL; code <= TETHER_OK; ++code) {
    const char* name = tether_result_string(code);
    REQUIRE(name != nullptr);
    CHECK(std::string(name) != "unknown result");
    names.insert(name);
  }
  CHECK(names.size() == 12);  // all distinct
  CHECK(std::string(tether_result_string(1)) == "unknown result");
  CHECK(std::string(tether_result_string(-12345)) == "unknown result");
  for (uint32_t state = TETHER_STATE_IDLE; state <= TETHER_STATE_UNAUTHORIZED; ++state) {
    CHECK(std::string(tether_state_string(state)) != "unknown");
  }
  for (uint32_t type = TETHER_EVENT_STATE_CHANGED; type <= TETHER_EVENT_LOG; ++type) {
    CHECK(std::string(tether_event_type_string(type)) != "unknown");
  }
  CHECK(std::string(tether_state_string(99)) == "unknown");
  CHECK(tether_version() == TETHER_VERSION);
  CHECK(std::string(tether_version_string()) == "0.2.0");
}
