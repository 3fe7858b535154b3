#include <catch2/catch.hpp>

#include "core/backoff.h"

using namespace tether::core;

namespace {
BackoffConfig config_with(JitterMode jitter) {
  BackoffConfig c;
  c.initial_delay_ms = 100;
  c.max_delay_ms = 1000;
  c.decay = 2.0;
  c.jitter = jitter;
  c.max_attempts = 0;
  c.stable_after_ms = 5000;
  return c;
}
}  // namespace

TEST_CASE("backoff without jitter grows exponentially up to the cap", "[core][backoff]") {
  ReconnectBackoff backoff(config_with(JitterMode::None), 1);
  const TimeMs expected[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (TimeMs want : expected) {
    auto delay = backoff.next_delay();
    REQUIRE(delay.has_value());
    CHECK(*delay == want);
  }
  CHECK(backoff.attempts() == 7);
  // Huge attempt numbers saturate instead of overflowing.
  CHECK(backoff.base_delay(5000) == 1000);
}

TEST_CASE("full jitter stays within [0, base] and is reproducible from the seed", "[core][backoff]") {
  ReconnectBackoff a(config_with(JitterMode::Full), 42);
  ReconnectBackoff b(config_with(JitterMode::Full), 42);
  ReconnectBackoff other(config_with(JitterMode::Full), 43);
  bool any_difference = false;
  bool any_below_base = false;
  for (uint32_t attempt = 0; attempt < 50; ++attempt) {
    const TimeMs base = a.base_delay(attempt);
    const TimeMs da = *a.next_delay();
    const TimeMs db = *b.next_delay();
    const TimeMs dother = *other.next_delay();
    CHECK(da >= 0);
    CHECK(da <= base);
    CHECK(da == db);
    any_difference |= da != dother;
    any_below_base |= da < base;
  }
  CHECK(any_difference);
  CHECK(any_below_base);
}

TEST_CASE("decorrelated jitter stays within [initial, min(cap, 3 x previous)]", "[core][backoff]") {
  ReconnectBackoff backoff(config_with(JitterMode::Decorrelated), 7);
  TimeMs previous = 0;
  for (int i = 0; i < 200; ++i) {
    const TimeMs delay = *backoff.next_delay();
    CHECK(delay >= 100);
    CHECK(delay <= 1000);
    CHECK(delay <= std::max<TimeMs>(100, previous * 3));
    previous = delay;
  }
}

TEST_CASE("max attempts ends in gave up", "[core][backoff]") {
  BackoffConfig c = config_with(JitterMode::None);
  c.max_attempts = 3;
  ReconnectBackoff backoff(c, 1);
  CHECK(backoff.next_delay().has_value());
  CHECK(backoff.next_delay().has_value());
  CHECK(backoff.next_delay().has_value());
  CHECK_FALSE(backoff.next_delay().has_value());
  CHECK_FALSE(backoff.next_delay().has_value());
  backoff.reset();
  CHECK(backoff.next_delay().has_value());
}

TEST_CASE("attempts reset only after the connection stays up for the stable time", "[core][backoff]") {
  ReconnectBackoff backoff(config_with(JitterMode::None), 1);
  backoff.next_delay();
  backoff.next_delay();
  REQUIRE(backoff.attempts() == 2);

  // Up, but dropped before it was stable: the count keeps growing.
  backoff.on_connected(1000);
  CHECK(backoff.next_timeout() == 6000);
  backoff.handle_timeout(5999);
  CHECK(backoff.attempts() == 2);
  backoff.on_disconnected();
  CHECK(backoff.next_timeout() == kNever);
  backoff.handle_timeout(7000);
  CHECK(backoff.attempts() == 2);
  CHECK(*backoff.next_delay() == 400);

  // Up long enough: the next failure starts from the initial delay again.
  backoff.on_connected(10000);
  backoff.handle_timeout(15000);
  CHECK(backoff.attempts() == 0);
  CHECK(*backoff.next_delay() == 100);
}

TEST_CASE("backoff config validation", "[core][backoff]") {
  BackoffConfig c = config_with(JitterMode::Full);
  CHECK(validate(c) == nullptr);
  c.decay = 0.5;
  CHECK(validate(c) != nullptr);
  c = config_with(JitterMode::Full);
  c.max_delay_ms = 50;
  CHECK(validate(c) != nullptr);
  c = config_with(JitterMode::Full);
  c.initial_delay_ms = 0;
  CHECK(validate(c) != nullptr);
}
