// A cluster node dies mid-traffic (kill -9): three tether-server nodes over
// a real redis-server, two peers on the C API whose `urls` list every node.
// The peers' connections on the dead node fail over to the next url and
// take their sessions over there (docs/PROTOCOL.md 11.1): what each had
// sent goes through once (the cluster committed it, or it is resent), and
// what each was to receive continues from its positions. Exactly once, both
// ways, with no state file and no session lost.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "chaos_rig.h"
#include "redis_process.h"
#include "server_process.h"
#include "tokens.h"

using namespace tether::chaos;
using tether::test_support::RedisProcess;
using tether::test_support::ServerProcess;

namespace {

constexpr size_t kNodes = 3;
constexpr uint64_t kDefaultMessagesPerPeer = 10000;
constexpr uint64_t kKillAtPercent = 40;
constexpr int64_t kRunDeadlineMs = 240000;

uint64_t resumed_readies(const ChaosPeer& peer) {
  uint64_t resumed = 0;
  for (const ConnectionHistory& c : peer.connections()) resumed += c.resumed_count;
  return resumed;
}

enum class Departure { Killed, Drained };

// Runs the exchange over three nodes and takes node1 away mid-traffic.
void run_cluster_chaos(Departure departure) {
  RedisProcess redis;
  const bool redis_started = redis.start();
  INFO(redis.error());
  REQUIRE(redis_started);
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  std::vector<std::string> urls;
  for (size_t i = 0; i < kNodes; ++i) {
    nodes.push_back(std::make_unique<ServerProcess>(
        tether::test_support::kServerBinary,
        std::vector<std::string>{"--jwt-secret", tether::test_support::kTestSecret, "--redis", redis.url(),
                                 "--node-id", "node" + std::to_string(i + 1), "--drain-ms", "1000"}));
    const bool started = nodes.back()->start();
    INFO(nodes.back()->error());
    REQUIRE(started);
    urls.push_back(nodes.back()->url());
  }

  ExchangeOptions options;
  options.messages_per_peer =
      std::max<uint64_t>(env_or("TETHER_CLUSTER_CHAOS_MESSAGES", kDefaultMessagesPerPeer), 100) - options.channels;
  options.seed = env_or("TETHER_CHAOS_SEED", 11);
  // Pool connection i starts on urls[i % 3]: each peer has a connection on
  // node1 (the one killed) and one on node2.
  PeerOptions alice;
  alice.index = 0;
  alice.peers = 2;
  alice.channels = options.channels;
  alice.urls = urls;
  alice.token = tether::test_support::mint_token("alice");
  alice.pool_size = 2;
  alice.seed = options.seed * 2 + 1;
#ifdef TETHER_SANITIZED_BUILD
  alice.heartbeat_interval_ms = 1000;
  alice.heartbeat_timeout_ms = 900;
#endif
  PeerOptions bob = alice;
  bob.index = 1;
  bob.token = tether::test_support::mint_token("bob");
  bob.seed = options.seed * 2 + 2;
  ChaosPeer alice_peer(alice);
  ChaosPeer bob_peer(bob);
  Exchange exchange(options, {&alice_peer, &bob_peer});

  alice_peer.connect();
  bob_peer.connect();
  auto subscribed = [&] {
    for (const ChaosPeer* peer : {&alice_peer, &bob_peer}) {
      for (size_t channel = 0; channel < options.channels; ++channel) {
        if (peer->subscribed_steps(1 - peer->index(), channel).empty()) return false;
      }
    }
    return true;
  };
  REQUIRE(exchange.run_until(subscribed, kSetupDeadlineMs));
  exchange.start_sending();

  const uint64_t total = 2 * options.messages_per_peer;
  REQUIRE(exchange.run_until([&] { return exchange.sent() * 100 >= total * kKillAtPercent; }, kRunDeadlineMs));
  const uint64_t resumed_before = resumed_readies(alice_peer) + resumed_readies(bob_peer);
  // Sent and not yet acked when the node goes: what the failover must carry.
  const uint64_t unacked_at_departure = exchange.sent() - exchange.ledger().resolved();
  if (departure == Departure::Killed) {
    nodes[0]->kill();
  } else {
    REQUIRE(nodes[0]->terminate());  // SIGTERM: drains its clients over --drain-ms, then exits
  }

  const bool finished = exchange.run_until([&] { return exchange.complete(); }, kRunDeadlineMs);
  exchange.send_fence();
  const bool fenced = finished && exchange.run_until([&] { return exchange.complete(); }, kSetupDeadlineMs);
  if (departure == Departure::Drained) {
    // The drain may outlast the traffic: every connection it closes resumes elsewhere.
    const bool drained = exchange.run_until(
        [&] {
          return nodes[0]->has_exited() &&
                 resumed_readies(alice_peer) + resumed_readies(bob_peer) - resumed_before >= 2;
        },
        kSetupDeadlineMs);
    CHECK(drained);
  }

  const LedgerSummary s = exchange.ledger().summarize();
  const uint64_t resumed = resumed_readies(alice_peer) + resumed_readies(bob_peer) - resumed_before;
  std::printf("cluster chaos: nodes=%zu %s=1 sent=%llu delivered=%llu lost=%llu duplicated=%llu resumed=%llu\n",
              kNodes, departure == Departure::Killed ? "killed" : "drained", static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.delivered),
              static_cast<unsigned long long>(s.lost), static_cast<unsigned long long>(s.duplicated),
              static_cast<unsigned long long>(resumed));
  std::printf("cluster chaos: unacked when node1 went: %llu\n", static_cast<unsigned long long>(unacked_at_departure));
  std::fflush(stdout);

  INFO("alice sessions lost: " << alice_peer.session_losses() << ", bob: " << bob_peer.session_losses()
                               << ", send errors: " << exchange.send_errors() << " " << exchange.last_send_error());
  REQUIRE(finished);
  REQUIRE(fenced);
  CHECK(exchange.send_errors() == 0);
  CHECK(s.resolved == s.sent);
  CHECK(s.acked == s.sent);
  CHECK(s.extra_resolutions == 0);
  CHECK(s.delivered == s.sent);
  CHECK(s.lost == 0);
  CHECK(s.duplicated == 0);
  CHECK(s.out_of_order == 0);
  CHECK(s.unknown_deliveries == 0);
  // No session was lost: the connections on the dead node resumed elsewhere.
  CHECK(alice_peer.session_losses() == 0);
  CHECK(bob_peer.session_losses() == 0);
  CHECK(resumed >= 2);
  CHECK(unacked_at_departure > 0);
  CHECK(s.sent >= total);
  if (departure == Departure::Drained) CHECK(nodes[0]->exit_code() == 0);
}

}  // namespace

TEST_CASE("cluster chaos: kill -9 of a node mid-traffic loses and repeats nothing, both ways",
          "[chaos][cluster]") {
  run_cluster_chaos(Departure::Killed);
}

TEST_CASE("cluster chaos: a draining node's clients resume on the others, losing and repeating nothing",
          "[chaos][cluster]") {
  run_cluster_chaos(Departure::Drained);
}
