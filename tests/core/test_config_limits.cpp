// Config extremes (issue 8, defect 7): every duration has a documented
// maximum that validate() enforces, and deadline arithmetic saturates, so
// even a config that skipped validation cannot overflow a deadline.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "core/backoff.h"
#include "core/heartbeat.h"
#include "event_helpers.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();

// Each duration field and the words its validation message uses for it;
// `set` moves along any field that must stay below it.
struct DurationField {
  const char* words;
  std::function<void(ClientConfig&, TimeMs)> set;
};

const DurationField kDurationFields[] = {
    {"backoff max delay", [](ClientConfig& c, TimeMs v) { c.backoff.max_delay_ms = v; }},
    {"backoff max delay", [](ClientConfig& c, TimeMs v) { c.backoff.initial_delay_ms = c.backoff.max_delay_ms = v; }},
    {"backoff stable time", [](ClientConfig& c, TimeMs v) { c.backoff.stable_after_ms = v; }},
    {"heartbeat interval", [](ClientConfig& c, TimeMs v) { c.heartbeat.interval_ms = v; }},
    {"heartbeat interval", [](ClientConfig& c, TimeMs v) { c.heartbeat.interval_ms = v, c.heartbeat.timeout_ms = v - 1; }},
    {"ack timeout", [](ClientConfig& c, TimeMs v) { c.reliable.ack_timeout_ms = v; }},
    {"connect timeout", [](ClientConfig& c, TimeMs v) { c.connect_timeout_ms = v; }},
    {"auth timeout", [](ClientConfig& c, TimeMs v) { c.auth_timeout_ms = v; }},
    {"token refresh lead time", [](ClientConfig& c, TimeMs v) { c.refresh_lead_ms = v; }},
    {"token refresh timeout", [](ClientConfig& c, TimeMs v) { c.refresh_timeout_ms = v; }},
};

}  // namespace

TEST_CASE("saturating time arithmetic clamps instead of overflowing", "[core][time]") {
  CHECK(add_saturating(1000, 5) == 1005);
  CHECK(add_saturating(1000, kMaxInt) == kNever);
  CHECK(add_saturating(kMaxInt - 1, 2) == kMaxInt);
  CHECK(add_saturating(-5, kMinInt) == kMinInt);
  CHECK(add_saturating(5, kMinInt) == kMinInt + 5);
  CHECK(sub_saturating(1000, 5) == 995);
  CHECK(sub_saturating(kMinInt + 1, 2) == kMinInt);
  CHECK(sub_saturating(0, kMinInt) == kMaxInt);
  CHECK(sub_saturating(-1, kMinInt) == kMaxInt);
  CHECK(sub_saturating(kMaxInt, -1) == kMaxInt);
}

TEST_CASE("every duration is at most 7 days, and the error names the field", "[core][config]") {
  for (const DurationField& field : kDurationFields) {
    INFO(field.words);
    ClientConfig config = default_client_config();
    field.set(config, kMaxDurationMs);
    CHECK(validate(config) == nullptr);
    for (const TimeMs too_long : {kMaxDurationMs + 1, kMaxInt}) {
      field.set(config, too_long);
      const char* error = validate(config);
      REQUIRE(error != nullptr);
      CHECK(std::string(error).find(field.words) != std::string::npos);
      CHECK(std::string(error).find("604800000") != std::string::npos);
    }
  }
}

TEST_CASE("backoff decay must be finite, >= 1 and <= 100", "[core][config][backoff]") {
  BackoffConfig config;
  for (const double bad : {std::nan(""), std::numeric_limits<double>::infinity(), 0.5, 100.5, 1e300}) {
    INFO(bad);
    config.decay = bad;
    CHECK(validate(config) != nullptr);
  }
  config.decay = 100;
  CHECK(validate(config) == nullptr);
  config.decay = 1;
  CHECK(validate(config) == nullptr);
}

TEST_CASE("the largest valid config runs without overflow", "[core][config]") {
  ClientConfig config = default_client_config();
  config.backoff.initial_delay_ms = config.backoff.max_delay_ms = kMaxDurationMs;
  config.backoff.stable_after_ms = kMaxDurationMs;
  config.backoff.decay = kMaxBackoffDecay;
  config.backoff.jitter = JitterMode::Decorrelated;
  config.heartbeat.interval_ms = kMaxDurationMs;
  config.heartbeat.timeout_ms = kMaxDurationMs - 1;
  config.reliable.ack_timeout_ms = kMaxDurationMs;
  config.connect_timeout_ms = config.auth_timeout_ms = kMaxDurationMs;
  config.refresh_lead_ms = config.refresh_timeout_ms = kMaxDurationMs;
  REQUIRE(validate(config) == nullptr);
  SimPair p(config);
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  CHECK(p.client.next_timeout() > p.now);
  p.cut();
  p.pump();
  REQUIRE(p.client.state() == ClientState::Backoff);
  const ClientEvent* backoff = last_event(p, ClientEvent::Kind::StateChanged);
  CHECK(backoff->delay_ms == kMaxDurationMs);  // decorrelated: the first delay is the initial one
  CHECK(p.client.next_timeout() == p.now + kMaxDurationMs);
}

TEST_CASE("deadlines saturate even when validation was skipped", "[core][config]") {
  SECTION("connect timeout INT64_MAX never fires") {
    ClientConfig config = default_client_config();
    config.connect_timeout_ms = kMaxInt;
    ClientSession c(config, 1);
    c.connect(1000);
    CHECK(c.next_timeout() == kNever);
    c.handle_timeout(1016);
    c.handle_timeout(kMaxInt - 1);
    CHECK(c.state() == ClientState::Connecting);
  }
  SECTION("auth timeout and heartbeat near INT64_MAX") {
    ClientConfig config = default_client_config();
    config.auth_timeout_ms = kMaxInt;
    config.heartbeat.interval_ms = kMaxInt;
    config.heartbeat.timeout_ms = kMaxInt - 1;
    config.backoff.stable_after_ms = kMaxInt;
    config.refresh_lead_ms = kMaxInt;
    config.wall_clock_offset_ms = kMaxInt;
    ClientSession c(config, 1);
    c.connect(1000);
    c.handle_open(1001);
    c.handle_timeout(1017);
    CHECK(c.state() == ClientState::Authenticating);
    c.handle_text(R"({"type":"auth_success","session":"s","expiresAt":-9223372036854775808})", 1002);
    REQUIRE(c.state() == ClientState::Ready);
    c.handle_timeout(1018);
    CHECK(c.state() == ClientState::Ready);
  }
  SECTION("backoff delays near INT64_MAX stay in range") {
    BackoffConfig config;
    config.initial_delay_ms = config.max_delay_ms = kMaxInt;
    config.decay = 1e308;
    config.max_attempts = 0;
    for (const JitterMode jitter : {JitterMode::None, JitterMode::Full, JitterMode::Decorrelated}) {
      config.jitter = jitter;
      ReconnectBackoff backoff(config, 7);
      for (int i = 0; i < 5; ++i) {
        const auto delay = backoff.next_delay();
        REQUIRE(delay.has_value());
        CHECK(*delay >= 0);
      }
      CHECK(backoff.base_delay(1000) <= kMaxDurationMs);
    }
  }
  SECTION("heartbeat near INT64_MAX") {
    HeartbeatConfig config;
    config.interval_ms = kMaxInt;
    config.timeout_ms = kMaxInt - 1;
    Heartbeat heartbeat(config);
    heartbeat.start(1000);
    CHECK(heartbeat.next_timeout() == kNever);
    int64_t ping = 0;
    CHECK(heartbeat.handle_timeout(kMaxInt - 1, &ping) == Heartbeat::Action::None);
  }
}
