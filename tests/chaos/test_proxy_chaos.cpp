// Exactly-once over real sockets while the network misbehaves: two clients
// (pools of 3 and 4, sticky channels) exchange reliable messages through the
// fault proxy and the real tether-server, both ways, while the proxy resets,
// FINs, black-holes, delays, throttles and splits their connections.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <string>

#include "chaos_rig.h"
#include "fault_schedule.h"

using namespace tether::chaos;

namespace {

#ifdef TETHER_SANITIZED_BUILD
// ASan+UBSan at -O0 runs the server, both clients and the proxy about
// twice as slow; half the traffic keeps that pass well within its budget.
constexpr uint64_t kDefaultMessagesPerPeer = 50000;
constexpr uint64_t kDefaultFaults = 150;
#else
constexpr uint64_t kDefaultMessagesPerPeer = 100000;
constexpr uint64_t kDefaultFaults = 150;
#endif
constexpr uint64_t kDefaultDeadlineSeconds = 420;
constexpr uint64_t kMinFaults = 100;
// Longer runs (TETHER_CHAOS_MESSAGES) get one fault per this many messages.
constexpr uint64_t kMessagesPerFault = 1300;

}  // namespace

TEST_CASE("proxy chaos: reliable messages both ways through resets, FINs, black holes, delays and 1-byte "
          "segments arrive exactly once, in order",
          "[chaos]") {
  ExchangeOptions options;
  const uint64_t messages = std::max<uint64_t>(env_or("TETHER_CHAOS_MESSAGES", kDefaultMessagesPerPeer), 1000);
  // The last round, one message per channel, is the fence sent at the end.
  options.messages_per_peer = messages - options.channels;
  options.seed = env_or("TETHER_CHAOS_SEED", 7);
  const uint64_t deadline_ms = env_or("TETHER_CHAOS_SECONDS", kDefaultDeadlineSeconds) * 1000;
  const uint64_t fault_count = std::max(kDefaultFaults, 2 * messages / kMessagesPerFault);

  ChaosRig rig(options);
  rig.connect_and_start();
  Exchange& exchange = rig.exchange();
  FaultSchedule faults(rig.proxy(), 2 * options.messages_per_peer, fault_count, options.seed);

  const bool finished = exchange.run_until([&] { return exchange.complete(); }, static_cast<int64_t>(deadline_ms),
                                           [&] { faults.tick(exchange.sent()); });
  faults.stop();
  // Everything arrived: a last message on every channel, behind the rest,
  // would meet any late duplicate on its way.
  exchange.send_fence();
  const bool fenced = finished && exchange.run_until([&] { return exchange.complete(); }, kSetupDeadlineMs);

  const LedgerSummary s = exchange.ledger().summarize();
  const tether::chaos::FaultCounts f = rig.proxy().counts();
  char line[512];
  std::snprintf(line, sizeof line,
                "proxy chaos: sent=%llu delivered=%llu lost=%llu duplicated=%llu out_of_order=%llu faults=%llu "
                "rst=%llu fin=%llu blackhole=%llu segments=%llu",
                static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.delivered),
                static_cast<unsigned long long>(s.lost), static_cast<unsigned long long>(s.duplicated),
                static_cast<unsigned long long>(s.out_of_order), static_cast<unsigned long long>(f.total()),
                static_cast<unsigned long long>(f.reset), static_cast<unsigned long long>(f.fin),
                static_cast<unsigned long long>(f.blackhole), static_cast<unsigned long long>(f.segments));
  std::printf("%s\n", line);
  std::fflush(stdout);

  INFO(line);
  INFO(rig.describe());
  INFO("latency=" << f.latency << " throttle=" << f.throttle << " failover_reorders=" << s.failover_reorders
                  << " acked=" << s.acked << " failed=" << s.failed);
  REQUIRE(finished);
  REQUIRE(fenced);
  CHECK(exchange.send_errors() == 0);
  // Every send resolved exactly once, and as delivered.
  CHECK(s.resolved == s.sent);
  CHECK(s.acked == s.sent);
  CHECK(s.extra_resolutions == 0);
  CHECK(s.unknown_resolutions == 0);
  // Every message arrived exactly once, in order per channel and connection.
  CHECK(s.sent >= 2 * messages);
  CHECK(s.delivered == s.sent);
  CHECK(s.lost == 0);
  CHECK(s.duplicated == 0);
  CHECK(s.out_of_order == 0);
  CHECK(s.unknown_deliveries == 0);
  // The faults really happened, all kinds of them, while traffic flowed.
  CHECK(faults.injected() == fault_count);
  CHECK(f.total() >= kMinFaults);
  CHECK(f.reset > 0);
  CHECK(f.fin > 0);
  CHECK(f.blackhole > 0);
  CHECK(f.segments > 0);
  // Every reconnect resumed its session: nothing was lost to a fresh one.
  CHECK(rig.alice().session_losses() == 0);
  CHECK(rig.bob().session_losses() == 0);
}
