// The end-to-end guarantee of the core: exactly-once, in order per channel,
// in both directions, across hundreds of cuts and dropped frames.
#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <string>

#include "sim_pair.h"

using namespace tether::core;
using tether::test::SimPair;

namespace {

constexpr int kChannels = 4;

// Payloads are {"n":N}: N counts per channel from 0.
std::string payload(uint64_t n) { return "{\"n\":" + std::to_string(n) + "}"; }

uint64_t payload_number(const std::string& data) { return std::stoull(data.substr(5, data.size() - 6)); }

// Tracks one direction: what the app got, per channel, and anomalies.
struct DeliveryLedger {
  std::map<std::string, uint64_t> next_expected;
  uint64_t delivered = 0;
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;

  void record(const std::string& channel, const std::string& data) {
    const uint64_t n = payload_number(data);
    uint64_t& expected = next_expected[channel];
    if (n < expected) {
      ++duplicates;
    } else if (n > expected) {
      ++out_of_order;  // a gap: something was skipped or reordered
      expected = n + 1;
      ++delivered;
    } else {
      ++expected;
      ++delivered;
    }
  }
};

}  // namespace

TEST_CASE("10,000 reliable messages each way survive 200+ cuts exactly once and in order",
          "[core][chaos]") {
  const uint64_t kMessages = 10000;
  auto client_config = tether::test::default_client_config();
  client_config.backoff.initial_delay_ms = 20;
  client_config.backoff.max_delay_ms = 200;
  client_config.reliable.max_retries = 1000;  // the test is about loss, not giving up
  client_config.auth_timeout_ms = 1000;       // a dropped auth frame costs a second, not ten
  auto server_config = tether::test::default_server_config();
  server_config.reliable.max_retries = 1000;
  const uint64_t seed = GENERATE(2024, 7, 31337);
  SimPair p(client_config, server_config, seed);
  p.drop_rate = 0.02;  // and some frames vanish from a live link

  DeliveryLedger at_server, at_client;
  p.on_server_event = [&](ServerSession&, ServerEvent& e) {
    if (e.kind == ServerEvent::Kind::Publish) at_server.record(e.channel, e.data);
  };

  std::map<uint64_t, int> client_resolutions;
  uint64_t client_sent = 0, server_sent = 0;
  SeededRng rng(seed * 31 + 99);
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 30000));
  const std::string session = p.client.session_id();

  size_t event_cursor = 0;
  auto consume_client_events = [&] {
    for (; event_cursor < p.client_events.size(); ++event_cursor) {
      const ClientEvent& e = p.client_events[event_cursor];
      if (e.kind == ClientEvent::Kind::Message) at_client.record(e.channel, e.data);
      if (e.kind == ClientEvent::Kind::Acked || e.kind == ClientEvent::Kind::SendFailed) {
        ++client_resolutions[e.message_id];
      }
    }
  };

  std::map<int, uint64_t> client_counter, server_counter;
  const uint64_t kCuts = 220;
  for (int round = 0; round < 100000 && (client_sent < kMessages || server_sent < kMessages || p.cuts < kCuts);
       ++round) {
    const int burst = static_cast<int>(rng.next_in(1, 6));
    for (int i = 0; i < burst && client_sent < kMessages; ++i) {
      const int ch = static_cast<int>(rng.next_in(0, kChannels - 1));
      const std::string channel = "c" + std::to_string(ch);
      if (p.client.send(channel, payload(client_counter[ch]), true, client_sent + 1, p.now) != SendStatus::Ok) break;
      ++client_counter[ch];
      ++client_sent;
    }
    auto state = p.table.find(session);
    REQUIRE(state != nullptr);
    for (int i = 0; i < burst && server_sent < kMessages; ++i) {
      const int ch = static_cast<int>(rng.next_in(0, kChannels - 1));
      const std::string channel = "s" + std::to_string(ch);
      if (!state->enqueue(channel, payload(server_counter[ch]), true, 1)) break;
      ++server_counter[ch];
      ++server_sent;
    }
    p.advance(rng.next_in(0, 40));
    if (rng.next_in(0, 99) < 15) p.cut();  // a no-op while already down
    consume_client_events();
  }
  REQUIRE(client_sent == kMessages);
  REQUIRE(server_sent == kMessages);

  // Let everything settle on a clean link.
  p.drop_rate = 0;
  auto state = p.table.find(session);
  const bool settled = p.run_until(
      [&] {
        consume_client_events();
        state->drain_resolutions();
        return client_resolutions.size() == kMessages && state->delivered + state->failed == kMessages &&
               at_client.delivered == kMessages;
      },
      600000);
  consume_client_events();

  uint64_t resolved_twice = 0, failed = 0;
  for (const auto& entry : client_resolutions) resolved_twice += entry.second > 1 ? 1 : 0;
  for (const auto& e : p.client_events) failed += e.kind == ClientEvent::Kind::SendFailed ? 1 : 0;

  std::printf("pair chaos seed=%llu: cuts=%llu drops=2%% | client->server sent=%llu delivered=%llu duplicates=%llu "
              "lost=%llu out_of_order=%llu | server->client sent=%llu delivered=%llu duplicates=%llu "
              "lost=%llu out_of_order=%llu | virtual_seconds=%.1f\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(p.cuts),
              static_cast<unsigned long long>(client_sent),
              static_cast<unsigned long long>(at_server.delivered), static_cast<unsigned long long>(at_server.duplicates),
              static_cast<unsigned long long>(client_sent - at_server.delivered),
              static_cast<unsigned long long>(at_server.out_of_order), static_cast<unsigned long long>(server_sent),
              static_cast<unsigned long long>(at_client.delivered), static_cast<unsigned long long>(at_client.duplicates),
              static_cast<unsigned long long>(server_sent - at_client.delivered),
              static_cast<unsigned long long>(at_client.out_of_order), (p.now - tether::test::kStart) / 1000.0);

  CHECK(settled);
  CHECK(p.cuts >= 200);
  CHECK(p.client.session_id() == session);  // every reconnect resumed
  CHECK(at_server.delivered == kMessages);
  CHECK(at_server.duplicates == 0);
  CHECK(at_server.out_of_order == 0);
  CHECK(at_client.delivered == kMessages);
  CHECK(at_client.duplicates == 0);
  CHECK(at_client.out_of_order == 0);
  CHECK(client_resolutions.size() == kMessages);
  CHECK(resolved_twice == 0);
  CHECK(failed == 0);
  CHECK(state->delivered == kMessages);
  CHECK(state->failed == 0);
  // The protocol really was exercised: duplicates were suppressed below the app.
  CHECK(p.client.counters().duplicates_dropped + state->receiver.duplicates() > 0);
}
