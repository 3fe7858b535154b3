// Per-channel order across a pool failover. tether.h promises for
// tether_client_send() "Ordering: per channel with the default
// STICKY_CHANNEL balancing". Messages still unacked on a connection that
// went down are resent after it resumes; a channel may therefore not move to
// another connection while any of them is unresolved, or the new ones would
// overtake them (src/client/channel_routes.h). This test failed before that.
#include <catch2/catch.hpp>

#include "chaos_rig.h"

using namespace tether::chaos;

TEST_CASE("pool order: a sticky channel keeps its order across a failover (tether.h send(): 'Ordering: per "
          "channel')",
          "[chaos]") {
  ExchangeOptions options;
  options.messages_per_peer = 20000;
  ChaosRig rig(options);
  rig.connect_and_start();
  Exchange& exchange = rig.exchange();
  // A reset every 1,000 messages: each one fails a connection over while
  // the channels it carried still have messages in flight on it.
  constexpr uint64_t kMessagesPerReset = 1000;
  uint64_t next_reset = kMessagesPerReset;
  const bool finished = exchange.run_until([&] { return exchange.complete(); }, 120000, [&] {
    if (exchange.sent() < next_reset) return;
    next_reset += kMessagesPerReset;
    const std::vector<LinkId> links = rig.proxy().healthy_links();
    if (!links.empty()) rig.proxy().reset(links[next_reset / kMessagesPerReset % links.size()]);
  });
  const LedgerSummary s = exchange.ledger().summarize();
  INFO(rig.describe());
  INFO("resets=" << rig.proxy().counts().reset << " out_of_order (same connection)=" << s.out_of_order);
  REQUIRE(finished);
  // What the balancer promises holds...
  CHECK(s.out_of_order == 0);
  // ...what tether.h promises does not: messages overtaken on their channel
  // by a later one that failed over to another connection.
  CHECK(s.failover_reorders == 0);
}
