// NULL, destroyed and made-up handles: every call returns an error (or NULL)
// and nothing crashes.
#include <catch2/catch.hpp>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "capi_harness.h"
#include "tether/tether.h"

using namespace tether::capi_test;

namespace {

const tether_event kNoEvent{};

// Calls every handle-taking function with `handle`; each must report INVALID_HANDLE.
void require_every_call_rejects(tether_client* handle) {
  tether_stats stats{};
  stats.struct_size = sizeof(stats);
  uint64_t message_id = 7;
  CHECK(tether_client_connect(handle) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_close(handle) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_reconnect_now(handle) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_set_token(handle, "t") == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_send(handle, "c", "1", 1, 0, &message_id) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(message_id == 0);
  CHECK(tether_client_subscribe(handle, "c") == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_unsubscribe(handle, "c") == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_pump(handle) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_event(handle, 0) == nullptr);
  const tether_event* events = &kNoEvent;
  CHECK(tether_client_pump_events(handle, &events) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(events == nullptr);
  CHECK(tether_client_pool_size(handle) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_connection_stats(handle, 0, &stats) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_pool_stats(handle, &stats) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_simulate(handle, 0, 0) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_simulate_cut(handle, -1) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_set_log_level(handle, TETHER_LOG_INFO) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(std::string(tether_client_last_error(handle)).find("not a live tether_client") != std::string::npos);
  tether_client_destroy(handle);  // a no-op, not a crash
}

}  // namespace

TEST_CASE("tether_client_destroy(NULL) is a no-op", "[capi]") {
  tether_client_destroy(nullptr);
  SUCCEED();
}

TEST_CASE("calls with a NULL handle return INVALID_HANDLE", "[capi]") {
  require_every_call_rejects(nullptr);
}

TEST_CASE("calls with a destroyed handle return INVALID_HANDLE", "[capi]") {
  tether_config config = test_config("ws://127.0.0.1:1", "token");
  tether_client* client = nullptr;
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  REQUIRE(tether_client_connect(client) == TETHER_OK);
  tether_client_destroy(client);
  require_every_call_rejects(client);
}

TEST_CASE("a made-up handle is rejected without being dereferenced", "[capi]") {
  // Not an address of anything: dereferencing it would crash the test.
  require_every_call_rejects(reinterpret_cast<tether_client*>(uintptr_t{0xdead0000}));
}

TEST_CASE("handles are never reused", "[capi]") {
  tether_config config = test_config("ws://127.0.0.1:1", "token");
  tether_client* first = nullptr;
  REQUIRE(tether_client_create(&config, &first) == TETHER_OK);
  tether_client_destroy(first);
  tether_client* second = nullptr;
  REQUIRE(tether_client_create(&config, &second) == TETHER_OK);
  CHECK(second != first);
  CHECK(tether_client_pump(first) == TETHER_ERROR_INVALID_HANDLE);
  CHECK(tether_client_pump(second) == 0);
  tether_client_destroy(second);
}

TEST_CASE("create rejects NULL arguments and a foreign struct_size", "[capi]") {
  tether_config config = test_config("ws://127.0.0.1:1", "token");
  tether_client* client = reinterpret_cast<tether_client*>(uintptr_t{1});
  CHECK(tether_client_create(nullptr, &client) == TETHER_ERROR_INVALID_ARGUMENT);
  CHECK(client == nullptr);
  CHECK(tether_client_create(&config, nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
  // Neither this version's size nor an older one's (0.1 ended at reserved0).
  for (const uint32_t size : {uint32_t{0}, uint32_t{sizeof(tether_config) + 8},
                              uint32_t{offsetof(tether_config, max_pending_event_bytes) - 4},
                              uint32_t{offsetof(tether_config, max_pending_event_bytes) + 4}}) {
    INFO("struct_size " << size);
    config.struct_size = size;
    CHECK(tether_client_create(&config, &client) == TETHER_ERROR_INVALID_ARGUMENT);
    CHECK(std::string(tether_client_last_error(nullptr)).find("struct_size") != std::string::npos);
    CHECK(client == nullptr);
  }
  CHECK(tether_config_init(nullptr) == TETHER_ERROR_INVALID_ARGUMENT);
}

TEST_CASE("handles are neither small nor sequential, and their neighbours are not live", "[capi]") {
  tether_config config = test_config("ws://127.0.0.1:1", "token");
  constexpr int kClients = 8;
  std::vector<tether_client*> clients(kClients, nullptr);
  for (tether_client*& client : clients) REQUIRE(tether_client_create(&config, &client) == TETHER_OK);

  std::set<uintptr_t> values;
  for (tether_client* client : clients) values.insert(reinterpret_cast<uintptr_t>(client));
  CHECK(values.size() == kClients);
  // Before: 1, 2, 3 ... Now the top bit is always set.
  for (const uintptr_t value : values) CHECK(value > (uintptr_t{1} << (sizeof(uintptr_t) * 8 - 1)));
  // Not a constant stride either: random low bits differ from handle to handle.
  std::set<uintptr_t> strides;
  for (int i = 1; i < kClients; ++i) {
    strides.insert(reinterpret_cast<uintptr_t>(clients[i]) - reinterpret_cast<uintptr_t>(clients[i - 1]));
  }
  CHECK(strides.size() > 1);

  // A handle that is off by a little, or by a flipped bit, hits nothing.
  for (tether_client* client : clients) {
    const uintptr_t value = reinterpret_cast<uintptr_t>(client);
    // These keep the handle's counter bits (bar a carry out of its 16 random
    // bits), so no other live handle can be one of them.
    for (const uintptr_t near : {value + 1, value - 1, value ^ 1, value ^ 2, value + 2}) {
      INFO("handle " << value << " neighbour " << near);
      CHECK(tether_client_pump(reinterpret_cast<tether_client*>(near)) == TETHER_ERROR_INVALID_HANDLE);
    }
    CHECK(tether_client_pump(client) == 0);  // the real one is live
  }
  for (tether_client* client : clients) tether_client_destroy(client);
}
