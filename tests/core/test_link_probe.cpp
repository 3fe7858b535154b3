// reconnect_now() while Ready checks the link: after an app resumes from
// suspension the link may be dead while the state still says Ready, and the
// next heartbeat would be up to a whole interval away.
#include <catch2/catch.hpp>

#include <cstdio>

#include "event_helpers.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

TEST_CASE("a heartbeat probe pings at once, never twice, and times out like any ping", "[core][heartbeat]") {
  HeartbeatConfig config;
  config.interval_ms = 15000;
  config.timeout_ms = 5000;
  Heartbeat hb(config);
  int64_t ts = 0;
  CHECK_FALSE(hb.probe(0, &ts));  // not started: no connection to check

  hb.start(0);
  REQUIRE(hb.probe(1000, &ts));
  CHECK(ts == 1000);
  CHECK(hb.ping_outstanding());
  CHECK(hb.next_timeout() == 6000);
  int64_t again = 0;
  CHECK_FALSE(hb.probe(1200, &again));  // one outstanding already
  CHECK(again == 0);
  CHECK(hb.handle_pong(1000, 1100));
  CHECK(hb.rtt().last_ms() == 100);
  CHECK(hb.next_timeout() == 16000);  // the regular pings continue an interval later

  REQUIRE(hb.probe(2000, &ts));
  CHECK(hb.handle_timeout(6999, &again) == Heartbeat::Action::None);
  CHECK(hb.handle_timeout(7000, &again) == Heartbeat::Action::LinkDead);
}

TEST_CASE("reconnect_now while Ready finds a dead link within the heartbeat timeout", "[core][session][heartbeat]") {
  ClientConfig config = default_client_config();
  config.heartbeat.interval_ms = 15000;
  config.heartbeat.timeout_ms = 5000;
  SimPair p(config);
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.advance(1000);  // the next heartbeat is 14 s away
  REQUIRE(is_ready(p));

  // The app comes back from suspension; the link died while it slept.
  p.blackhole();
  const TimeMs resumed_at = p.now;
  p.client.reconnect_now(p.now);
  REQUIRE(p.run_until([&] { return !is_ready(p); }, 30000));
  const TimeMs detected_after = p.now - resumed_at;
  CHECK(detected_after == config.heartbeat.timeout_ms);
  const ClientEvent* closed = last_event(p, ClientEvent::Kind::StateChanged);
  CHECK(closed->state == ClientState::Backoff);
  CHECK(closed->close_code == close_code::kHeartbeatTimeout);
  CHECK(closed->initiator == CloseInitiator::Local);
  REQUIRE(p.run_until([&] { return is_ready(p); }, 5000));
  CHECK(p.client.counters().reconnects == 1);
  std::printf("link check: dead link found %lld ms after reconnect_now (heartbeat alone: up to %lld ms)\n",
              static_cast<long long>(detected_after),
              static_cast<long long>(config.heartbeat.interval_ms + config.heartbeat.timeout_ms));
}

TEST_CASE("reconnect_now on a live Ready link sends one ping and keeps the connection", "[core][session][heartbeat]") {
  ClientConfig config = default_client_config();
  config.heartbeat.interval_ms = 15000;
  config.heartbeat.timeout_ms = 5000;
  ServerConfig server_config = default_server_config();
  server_config.idle_timeout_ms = 60000;  // our pings are 15 s apart
  SimPair p(config, server_config);
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.advance(1000);
  const uint64_t frames_before = p.client.counters().frames_sent;
  const uint64_t samples_before = p.client.rtt().samples();

  p.client.reconnect_now(p.now);
  p.pump();
  CHECK(p.client.counters().frames_sent == frames_before + 1);
  // Asked again before the pong is back: the probe in flight answers both.
  p.client.reconnect_now(p.now + 1);
  p.advance(1);
  CHECK(p.client.counters().frames_sent == frames_before + 1);

  p.advance(100);  // the pong is back (20 ms round trip)
  CHECK(p.client.rtt().samples() == samples_before + 1);
  CHECK(p.client.rtt().last_ms() == 2 * p.latency_ms);
  p.advance(10000);  // past the probe's timeout
  CHECK(is_ready(p));
  CHECK(count_states(p, ClientState::Backoff) == 0);
  CHECK(p.client.counters().reconnects == 0);

  p.client.reconnect_now(p.now);  // nothing outstanding now: a new probe
  p.pump();
  CHECK(p.client.counters().frames_sent == frames_before + 2);
}
