// pump() allocates nothing in steady state: idle, and with traffic once the
// event buffers have grown. Counts operator new calls on the pumping thread
// (the engine's I/O thread allocates freely and is not counted).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>

#include "capi_harness.h"
#include "capi_server.h"
#include "tether/tether.h"

// ThreadSanitizer's runtime defines operator new itself; replacing it clashes.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TETHER_TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TETHER_TEST_TSAN 1
#endif

#ifndef TETHER_TEST_TSAN
namespace {
thread_local bool t_counting = false;
thread_local size_t t_allocations = 0;

void* counted_allocation(size_t size) {
  if (t_counting) ++t_allocations;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
}  // namespace

// Replaces the global allocator for this test program, libtether included.
// Every unaligned form is replaced, so each new pairs with a matching delete
// (sanitizers check that).
void* operator new(size_t size) { return counted_allocation(size); }
void* operator new[](size_t size) { return counted_allocation(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  if (t_counting) ++t_allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }

using namespace tether::capi_test;

namespace {

// Pumps once and reads every event's text, counting allocations meanwhile.
size_t allocations_of_one_pump(tether_client* client, int32_t* count) {
  t_allocations = 0;
  t_counting = true;
  *count = tether_client_pump(client);
  size_t bytes = 0;
  for (int32_t i = 0; i < *count; ++i) {
    const tether_event* event = tether_client_event(client, static_cast<uint32_t>(i));
    bytes += event->channel_len + event->data_len;
  }
  t_counting = false;
  (void)bytes;
  return t_allocations;
}

}  // namespace

TEST_CASE("pump allocates nothing in steady state", "[capi][integration]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  TestClient sender(server.url(), mint_token("alice"));
  TestClient receiver(server.url(), mint_token("bob"));
  REQUIRE(tether_client_subscribe(receiver.handle(), "room:1") == TETHER_OK);
  REQUIRE(tether_client_connect(receiver.handle()) == TETHER_OK);
  REQUIRE(tether_client_connect(sender.handle()) == TETHER_OK);
  REQUIRE(receiver.pump_until([&] { return receiver.find(TETHER_EVENT_SUBSCRIBED) != nullptr; }));
  REQUIRE(sender.wait_state(TETHER_STATE_READY));

  SECTION("the counter sees allocations made inside libtether") {
    const std::string json = "\"" + std::string(200, 'x') + "\"";  // beyond any small-string buffer
    t_allocations = 0;
    t_counting = true;
    const int32_t result = tether_client_send(sender.handle(), "room:1", json.data(), json.size(), 0, nullptr);
    t_counting = false;
    REQUIRE(result == TETHER_OK);
    CHECK(t_allocations > 0);
  }
  SECTION("idle") {
    int32_t count = 0;
    size_t allocations = 0;
    for (int i = 0; i < 1000; ++i) allocations += allocations_of_one_pump(receiver.handle(), &count);
    CHECK(allocations == 0);
  }
  SECTION("with traffic, once the buffers have grown") {
    const std::string json = "{\"text\":\"steady\"}";
    size_t received = 0;
    size_t allocations_after_warmup = 0;
    for (int round = 0; round < 40; ++round) {
      // The same burst each round, so the buffers' working size stops growing.
      for (int i = 0; i < 4; ++i) {
        REQUIRE(tether_client_send(sender.handle(), "room:1", json.data(), json.size(), 0, nullptr) == TETHER_OK);
      }
      sender.pump_once();
      const size_t target = received + 4;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDeadlineMs);
      while (received < target) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        int32_t count = 0;
        const size_t allocations = allocations_of_one_pump(receiver.handle(), &count);
        if (round >= 10) allocations_after_warmup += allocations;
        received += static_cast<size_t>(count);  // only messages: nothing else happens meanwhile
      }
    }
    CHECK(allocations_after_warmup == 0);
  }
}
#endif  // TETHER_TEST_TSAN
