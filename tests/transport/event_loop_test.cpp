// EventLoop: posting across threads, one-shot timers, stop and run_until.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "test_support.h"
#include "transport/event_loop.h"

namespace tether::transport {
namespace {

TEST_CASE("EventLoop runs tasks posted from other threads until stopped", "[transport]") {
  EventLoop loop;
  std::atomic<int> ran{0};
  std::thread poster([&] {
    for (int i = 0; i < 100; ++i) CHECK(loop.post([&] { ++ran; }));
    loop.post([&] { loop.stop(); });
  });
  loop.run();  // returns only through the posted stop()
  poster.join();
  CHECK(ran == 100);
  CHECK_FALSE(loop.post(nullptr));
}

TEST_CASE("EventLoop stop from another thread ends run()", "[transport]") {
  EventLoop loop;
  std::atomic<bool> running{false};
  loop.post([&] { running = true; });
  std::thread stopper([&] {
    while (!running) std::this_thread::yield();
    loop.stop();
  });
  loop.run();
  stopper.join();
  CHECK(running);
  // A stop() before run() is not lost.
  loop.stop();
  loop.run();
}

// The engine drops its WsClient and stops in one task: nothing queued behind
// that task may run, on any platform (Windows' IOCP would run it otherwise;
// the C API suite under Wine crashed in destroy before run() took care).
TEST_CASE("EventLoop runs no handler after the one that called stop()", "[transport]") {
  EventLoop loop;
  std::vector<int> order;
  loop.set_timer(0, [&] { order.push_back(1); });
  loop.post([&] {
    order.push_back(2);
    loop.post([&] { order.push_back(4); });  // queued behind this task
    loop.stop();
  });
  loop.post([&] { order.push_back(3); });  // already queued when stop() comes
  // The timer may be due before or after the tasks; either way nothing runs
  // after the stopping task.
  loop.run();
  REQUIRE_FALSE(order.empty());
  CHECK(order.back() == 2);
  CHECK(std::count(order.begin(), order.end(), 3) == 0);
  CHECK(std::count(order.begin(), order.end(), 4) == 0);
  // The next run() takes them up, in the order they were queued.
  loop.post([&] { loop.stop(); });
  loop.run();
  CHECK(std::count(order.begin(), order.end(), 1) <= 1);  // once, if it came yet
  const auto three = std::find(order.begin(), order.end(), 3);
  const auto four = std::find(order.begin(), order.end(), 4);
  CHECK(three != order.end());
  CHECK(four != order.end());
  CHECK(three < four);
}

TEST_CASE("EventLoop timers fire once, in deadline order, and can be cancelled", "[transport]") {
  EventLoop loop;
  std::vector<int> fired;
  const int64_t start = loop.now_ms();
  loop.set_timer(40, [&] { fired.push_back(40); });
  loop.set_timer(0, [&] { fired.push_back(0); });
  const TimerId cancelled = loop.set_timer(10, [&] { fired.push_back(10); });
  loop.set_timer(20, [&] { fired.push_back(20); });
  CHECK(loop.cancel_timer(cancelled));
  CHECK_FALSE(loop.cancel_timer(cancelled));
  CHECK_FALSE(loop.cancel_timer(kNoTimer));

  REQUIRE(test::run_until(loop, [&] { return fired.size() == 3; }));
  CHECK(fired == std::vector<int>{0, 20, 40});
  CHECK(loop.now_ms() - start >= 40);
  // Nothing fires twice, and a timer set from inside a callback works.
  bool nested = false;
  loop.set_timer(-5, [&] { loop.set_timer(1, [&] { nested = true; }); });
  REQUIRE(test::run_until(loop, [&] { return nested; }));
  CHECK(fired.size() == 3);
}

TEST_CASE("EventLoop survives a throwing handler and run_until honours its deadline", "[transport]") {
  EventLoop loop;
  bool after = false;
  loop.post([] { throw std::runtime_error("handler bug"); });
  loop.post([&] { after = true; });
  CHECK(test::run_until(loop, [&] { return after; }));

  const int64_t start = loop.now_ms();
  CHECK_FALSE(loop.run_until([] { return false; }, 50));
  CHECK(loop.now_ms() - start >= 50);
}

}  // namespace
}  // namespace tether::transport
