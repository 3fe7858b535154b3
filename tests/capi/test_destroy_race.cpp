// destroy() racing with pump() and event() on other threads: the calls
// either complete or return INVALID_HANDLE/NULL, destroy waits for those in
// progress, and nothing is freed under them. Run it under TSan to see the
// "nothing freed under them" part.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "capi_harness.h"
#include "tether/tether.h"

using namespace tether::capi_test;

TEST_CASE("destroy waits for pump and event calls on other threads", "[capi][threads]") {
  constexpr int kRounds = 40;
  uint64_t events_read = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Connection refused over and over, with debug logs: a steady stream of events.
    tether_config config = test_config("ws://127.0.0.1:1", "token");
    config.log_level = TETHER_LOG_DEBUG;
    config.backoff_initial_ms = 1;
    config.backoff_max_ms = 2;
    tether_client* client = nullptr;
    REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
    REQUIRE(tether_client_connect(client) == TETHER_OK);

    // The host's own rule: an event is read only while destroy has not begun.
    std::mutex reading;
    bool destroy_begun = false;
    std::condition_variable first_event;
    uint64_t read_this_round = 0;
    // Catch2 assertions are not thread-safe: the threads count, the test checks.
    std::atomic<int> unexpected{0};
    std::atomic<int> stopped_by_invalid_handle{0};

    std::thread pumper([&] {
      for (;;) {
        const int32_t count = tether_client_pump(client);
        if (count < 0) {
          if (count == TETHER_ERROR_INVALID_HANDLE) ++stopped_by_invalid_handle; else ++unexpected;
          return;
        }
        for (int32_t i = 0; i < count; ++i) {
          const tether_event* event = tether_client_event(client, static_cast<uint32_t>(i));
          if (event == nullptr) break;  // destroyed meanwhile
          std::lock_guard<std::mutex> lock(reading);
          if (destroy_begun) break;
          const RecordedEvent copy = record(*event);  // every text field, read in full
          if (copy.type == 0) ++unexpected;
          ++read_this_round;
          first_event.notify_all();
        }
      }
    });
    // Other calls in flight too, as a game's network thread would make them.
    std::thread caller([&] {
      for (;;) {
        tether_stats stats{};
        stats.struct_size = sizeof(stats);
        const int32_t result = tether_client_pool_stats(client, &stats);
        tether_client_send(client, "room", "{}", 2, 0, nullptr);
        if (result == TETHER_ERROR_INVALID_HANDLE) {
          ++stopped_by_invalid_handle;
          return;
        }
        if (result != TETHER_OK) ++unexpected;
      }
    });
    bool saw_event = false;
    {
      std::unique_lock<std::mutex> lock(reading);
      saw_event = first_event.wait_for(lock, std::chrono::milliseconds(kDeadlineMs), [&] { return read_this_round > 0; });
      destroy_begun = true;
    }
    // The threads are inside calls or between them: destroy waits for the calls.
    tether_client_destroy(client);
    pumper.join();
    caller.join();
    CHECK(saw_event);
    CHECK(unexpected == 0);
    CHECK(stopped_by_invalid_handle == 2);
    events_read += read_this_round;
  }
  std::printf("destroy race: rounds=%d events_read=%llu\n", kRounds, static_cast<unsigned long long>(events_read));
  CHECK(events_read >= kRounds);
}
