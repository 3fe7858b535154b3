// TETHER_IO_PUMP: the client's network work runs inside pump(), on the
// pumping thread, with no thread of its own. Everything else is as with the
// io thread: auth, subscribe, reliable sends acked once, fan-out, destroy.
#include <catch2/catch.hpp>
#ifdef _WIN32
#include <windows.h>
#include <tlhelp32.h>
#else
#include <dirent.h>
#endif

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "capi_harness.h"
#include "capi_server.h"
#include "tether/tether.h"

using namespace tether::capi_test;

namespace {

constexpr const char* kRoom = "room:pump";

// Threads of this process (Linux: /proc; Windows: a Toolhelp snapshot).
size_t thread_count() {
  size_t threads = 0;
#ifdef _WIN32
  const HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  if (snapshot == INVALID_HANDLE_VALUE) return 0;
  THREADENTRY32 entry{};
  entry.dwSize = sizeof(entry);
  for (BOOL more = Thread32First(snapshot, &entry); more; more = Thread32Next(snapshot, &entry)) {
    if (entry.th32OwnerProcessID == GetCurrentProcessId()) ++threads;
  }
  CloseHandle(snapshot);
#else
  if (DIR* dir = opendir("/proc/self/task")) {
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++threads;
    }
    closedir(dir);
  }
#endif
  return threads;
}

tether_config pumped(tether_config config) {
  config.io_mode = TETHER_IO_PUMP;
  return config;
}

// Pumps both clients until done() or the deadline.
bool pump_both(TestClient& a, TestClient& b, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDeadlineMs);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    a.pump_once();
    b.pump_once();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

// Windows' I/O completion port learns of due timers through one helper
// thread of Asio's per client (it waits on a waitable timer and wakes the
// port; no Tether code runs there). tether.h says so.
#ifdef _WIN32
constexpr size_t kAsioTimerThreads = 1;
#else
constexpr size_t kAsioTimerThreads = 0;
#endif

TEST_CASE("TETHER_IO_PUMP starts no thread, TETHER_IO_THREAD starts one", "[capi][io_mode]") {
  const size_t before = thread_count();
  REQUIRE(before >= 1);
  {
    TestClient client(pumped(test_config("ws://127.0.0.1:1", "token")));
    REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
    for (int i = 0; i < 20; ++i) client.pump_once();  // connects, fails, backs off: all on this thread
    CHECK(client.saw_state(TETHER_STATE_CONNECTING));
    CHECK(thread_count() == before + kAsioTimerThreads);
    CHECK(timed_destroy(client.handle()) < 1000);  // nothing to join
  }
  CHECK(thread_count() == before);  // Asio's timer thread (Windows) ends with the client
  TestClient threaded(test_config("ws://127.0.0.1:1", "token"));
  CHECK(thread_count() > before);
}

TEST_CASE("a pump-driven client authenticates, sends reliably and receives, all inside pump()",
          "[capi][integration][io_mode]") {
  RunningServer running;
  const std::string alice_token = mint_token("alice");
  TestClient alice(pumped(test_config(running.server.url().c_str(), alice_token.c_str())));
  TestClient bob(running.server.url(), mint_token("bob"));  // with its io thread
  REQUIRE(tether_client_subscribe(alice.handle(), kRoom) == TETHER_OK);
  REQUIRE(tether_client_subscribe(bob.handle(), kRoom) == TETHER_OK);
  REQUIRE(tether_client_connect(alice.handle()) == TETHER_OK);
  REQUIRE(tether_client_connect(bob.handle()) == TETHER_OK);
  REQUIRE(pump_both(alice, bob, [&] {
    return alice.find(TETHER_EVENT_SUBSCRIBED) != nullptr && bob.find(TETHER_EVENT_SUBSCRIBED) != nullptr;
  }));
  CHECK(alice.saw_state(TETHER_STATE_READY));

  // A send waits for the next pump: while alice does not pump, nothing leaves.
  const std::string first = "{\"n\":1}";
  uint64_t first_id = 0;
  REQUIRE(tether_client_send(alice.handle(), kRoom, first.data(), first.size(), TETHER_SEND_RELIABLE, &first_id) ==
          TETHER_OK);
  CHECK_FALSE(bob.pump_until([&] { return bob.count(TETHER_EVENT_MESSAGE) > 0; }, 300));
  // Then it goes out, comes back through the fan-out, and is acked once.
  REQUIRE(pump_both(alice, bob, [&] {
    return bob.count(TETHER_EVENT_MESSAGE) == 1 && alice.count(TETHER_EVENT_MESSAGE) == 1 &&
           alice.count(TETHER_EVENT_ACK) == 1;
  }));
  CHECK(bob.find(TETHER_EVENT_MESSAGE)->data == first);
  CHECK(alice.find(TETHER_EVENT_ACK)->message_id == first_id);

  // Many reliable messages both ways, each acked exactly once.
  constexpr int kEach = 200;
  for (int i = 0; i < kEach; ++i) {
    const std::string json = "{\"i\":" + std::to_string(i) + "}";
    REQUIRE(tether_client_send(alice.handle(), kRoom, json.data(), json.size(), TETHER_SEND_RELIABLE, nullptr) ==
            TETHER_OK);
    REQUIRE(tether_client_send(bob.handle(), kRoom, json.data(), json.size(), TETHER_SEND_RELIABLE, nullptr) ==
            TETHER_OK);
  }
  REQUIRE(pump_both(alice, bob, [&] {
    return alice.count(TETHER_EVENT_ACK) == kEach + 1 && bob.count(TETHER_EVENT_ACK) == kEach &&
           alice.count(TETHER_EVENT_MESSAGE) == 2 * kEach + 1 && bob.count(TETHER_EVENT_MESSAGE) == 2 * kEach + 1;
  }));
  CHECK(alice.count(TETHER_EVENT_SEND_FAILED) == 0);

  // Destroy while connected returns quickly, with no thread to join.
  CHECK(timed_destroy(alice.handle()) < 1000);
}
