#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "client/balancer.h"
#include "client/channel_routes.h"

using namespace tether::client;

namespace {
std::vector<ConnectionLoad> all_up(size_t n) { return std::vector<ConnectionLoad>(n, ConnectionLoad{true, 0}); }
}  // namespace

TEST_CASE("round robin cycles through healthy connections", "[client][pool]") {
  Balancer b(BalanceStrategy::RoundRobin, 1);
  auto loads = all_up(4);
  std::vector<size_t> picks;
  for (int i = 0; i < 8; ++i) picks.push_back(b.pick("c", loads));
  CHECK(picks == std::vector<size_t>{0, 1, 2, 3, 0, 1, 2, 3});
  loads[1].healthy = false;
  std::map<size_t, int> counts;
  for (int i = 0; i < 300; ++i) ++counts[b.pick("c", loads)];
  CHECK(counts.count(1) == 0);
  CHECK(counts[0] == 100);
  CHECK(counts[2] == 100);
  CHECK(counts[3] == 100);
}

TEST_CASE("least messages picks the least loaded healthy connection", "[client][pool]") {
  Balancer b(BalanceStrategy::LeastMessages, 1);
  std::vector<ConnectionLoad> loads = {{true, 5}, {true, 2}, {false, 0}, {true, 9}};
  CHECK(b.pick("c", loads) == 1);
  loads[1].pending = 7;
  CHECK(b.pick("c", loads) == 0);
}

TEST_CASE("random spreads over healthy connections only", "[client][pool]") {
  Balancer b(BalanceStrategy::Random, 42);
  auto loads = all_up(4);
  loads[3].healthy = false;
  std::map<size_t, int> counts;
  for (int i = 0; i < 3000; ++i) ++counts[b.pick("c", loads)];
  CHECK(counts.count(3) == 0);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(counts[i] > 800);
    CHECK(counts[i] < 1200);
  }
}

TEST_CASE("sticky channel maps a channel to one connection and fails over when it is down", "[client][pool]") {
  Balancer b(BalanceStrategy::StickyChannel, 1);
  auto loads = all_up(4);
  std::map<size_t, int> homes;
  for (int c = 0; c < 400; ++c) {
    const std::string channel = "room:" + std::to_string(c);
    const size_t first = b.pick(channel, loads);
    CHECK(b.pick(channel, loads) == first);
    CHECK(first == Balancer::channel_home(channel, 4));
    ++homes[first];
  }
  // Channels spread over the pool.
  for (size_t i = 0; i < 4; ++i) CHECK(homes[i] > 50);

  const std::string channel = "chat";
  const size_t home = Balancer::channel_home(channel, 4);
  loads[home].healthy = false;
  const size_t failover = b.pick(channel, loads);
  CHECK(failover == (home + 1) % 4);
  // With nothing up, the channel stays home (its messages queue there).
  for (auto& l : loads) l.healthy = false;
  CHECK(b.pick(channel, loads) == home);
}

TEST_CASE("a sticky channel stays with the connection holding its unresolved messages", "[client][balancer]") {
  tether::client::ChannelRoutes routes;
  CHECK_FALSE(routes.holder("room"));
  routes.on_queued("room", 2, 11);
  routes.on_queued("room", 2, 12);
  routes.on_queued("lobby", 0, 13);
  REQUIRE(routes.holder("room"));
  CHECK(*routes.holder("room") == 2);
  CHECK(routes.channels() == 2);
  CHECK(routes.unresolved() == 3);

  // Free to move only once every message there resolved, in any order.
  routes.on_resolved(12);
  CHECK(*routes.holder("room") == 2);
  routes.on_resolved(99);  // unknown: ignored
  routes.on_resolved(11);
  CHECK_FALSE(routes.holder("room"));
  CHECK(*routes.holder("lobby") == 0);
  routes.on_resolved(13);
  CHECK(routes.channels() == 0);
  CHECK(routes.unresolved() == 0);  // nothing kept once resolved

  // A holder that could not take a message (it gave up) hands the channel on.
  routes.on_queued("room", 1, 20);
  routes.on_queued("room", 3, 21);
  CHECK(*routes.holder("room") == 3);
  routes.on_resolved(20);
  routes.on_resolved(21);
  CHECK_FALSE(routes.holder("room"));
}
