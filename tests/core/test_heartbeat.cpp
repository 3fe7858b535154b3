#include <catch2/catch.hpp>

#include "core/heartbeat.h"

using namespace tether::core;

TEST_CASE("heartbeat config rejects a timeout >= the interval", "[core][heartbeat]") {
  CHECK(validate(HeartbeatConfig{1000, 500}) == nullptr);
  CHECK(validate(HeartbeatConfig{1000, 1000}) != nullptr);
  CHECK(validate(HeartbeatConfig{1000, 2000}) != nullptr);
  CHECK(validate(HeartbeatConfig{0, 0}) != nullptr);
}

TEST_CASE("heartbeat pings every interval and measures RTT from pongs", "[core][heartbeat]") {
  Heartbeat hb({1000, 300});
  CHECK(hb.next_timeout() == kNever);
  hb.start(10000);
  CHECK(hb.next_timeout() == 11000);
  int64_t ts = 0;
  CHECK(hb.handle_timeout(10999, &ts) == Heartbeat::Action::None);
  REQUIRE(hb.handle_timeout(11000, &ts) == Heartbeat::Action::SendPing);
  CHECK(ts == 11000);
  CHECK(hb.next_timeout() == 11300);  // pong deadline
  CHECK_FALSE(hb.handle_pong(ts - 1, 11040));  // not the outstanding ping
  CHECK(hb.handle_pong(ts, 11040));
  CHECK(hb.rtt().last_ms() == 40);
  CHECK_FALSE(hb.handle_pong(ts, 11050));  // answered already
  CHECK(hb.next_timeout() == 12000);
}

TEST_CASE("a missing pong declares the link dead at ping + timeout", "[core][heartbeat]") {
  Heartbeat hb({1000, 300});
  hb.start(0);
  int64_t ts = 0;
  REQUIRE(hb.handle_timeout(1000, &ts) == Heartbeat::Action::SendPing);
  CHECK(hb.handle_timeout(1299, &ts) == Heartbeat::Action::None);
  CHECK(hb.handle_timeout(1300, &ts) == Heartbeat::Action::LinkDead);
  // Dead means stopped: nothing of this connection fires again.
  CHECK_FALSE(hb.running());
  CHECK(hb.next_timeout() == kNever);
  CHECK(hb.handle_timeout(100000, &ts) == Heartbeat::Action::None);
  CHECK_FALSE(hb.handle_pong(ts, 100001));
}

TEST_CASE("stop forgets the old connection's timers and pings", "[core][heartbeat]") {
  Heartbeat hb({1000, 300});
  hb.start(0);
  int64_t old_ping = 0;
  REQUIRE(hb.handle_timeout(1000, &old_ping) == Heartbeat::Action::SendPing);
  hb.stop();
  hb.start(5000);  // reconnected
  CHECK(hb.next_timeout() == 6000);
  int64_t ts = 0;
  CHECK(hb.handle_timeout(5500, &ts) == Heartbeat::Action::None);  // old pong deadline is gone
  CHECK_FALSE(hb.handle_pong(old_ping, 5600));                      // old pong is stale
}

TEST_CASE("RTT is smoothed as TCP does (RFC 6298)", "[core][heartbeat]") {
  RttEstimator rtt;
  CHECK_FALSE(rtt.has_sample());
  rtt.add_sample(100);
  CHECK(rtt.smoothed_ms() == Approx(100));
  CHECK(rtt.variance_ms() == Approx(50));
  rtt.add_sample(200);
  CHECK(rtt.variance_ms() == Approx(0.75 * 50 + 0.25 * 100));
  CHECK(rtt.smoothed_ms() == Approx(0.875 * 100 + 0.125 * 200));
  CHECK(rtt.samples() == 2);
}

TEST_CASE("a round trip under the 1 ms clock resolution is measured, not read as 'no RTT'", "[core][heartbeat]") {
  RttEstimator rtt;
  rtt.add_sample(0);  // a loopback ping: the pong came back within the same ms
  CHECK(rtt.has_sample());
  CHECK(rtt.smoothed_ms() == Approx(kSubResolutionRttMs));
  CHECK(rtt.smoothed_ms() > 0);
  for (int i = 0; i < 50; ++i) rtt.add_sample(0);
  CHECK(rtt.smoothed_ms() == Approx(kSubResolutionRttMs));
  rtt.add_sample(8);
  CHECK(rtt.smoothed_ms() == Approx(0.875 * 0.5 + 0.125 * 8));
}
