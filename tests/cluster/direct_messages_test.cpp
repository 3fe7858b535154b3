// Messages the server application sends to one session (send_to_session)
// survive the node that sent them: in a cluster they go through the
// session's own stream in Redis, and the node the client fails over to
// delivers what it had not got, exactly once and in order
// (docs/PROTOCOL.md 11.1). A real redis-server, two tether-burst-node
// processes (burst_node.cpp), and a client on the C API whose `urls` list
// both.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "redis_process.h"
#include "run_until.h"
#include "server_process.h"
#include "capi_host.h"
#include "cluster_harness.h"
#include "tether/tether.h"
#include "tokens.h"
#include "transport/redis_client.h"

namespace tether::cluster_test {
namespace {

using test_support::kTestSecret;
using test_support::RedisProcess;
using test_support::ServerProcess;

constexpr int kBurst = 800;  // within the default --history-size (1000), about 800 KB

}  // namespace

TEST_CASE("direct messages from a node that dies reach the client through the next node, once and in order",
          "[cluster][integration][direct]") {
  RedisProcess redis;
  REQUIRE(redis.start());
  Nodes nodes = start_nodes(TETHER_BURST_NODE_PATH, redis, 2);
  CapiHost host(nodes.urls, test_support::mint_token("alice"), [](tether_config& config) {
    config.max_pending_event_bytes = 65536;  // reading pauses early: most of the burst waits on node1
  });
  REQUIRE(host.pump_until([&] { return host.readies == 1; }));

  const std::string count = std::to_string(kBurst);
  REQUIRE(tether_client_send(host.client, "burst", count.c_str(), count.size(), TETHER_SEND_RELIABLE, nullptr) ==
          TETHER_OK);
  REQUIRE(host.pump_until([&] { return host.acks == 1 && !host.numbers("burst").empty(); }));

  // Every message is in the session's stream before node1 dies; the client
  // has read only a part of them.
  transport::EventLoop loop;
  std::string stream;
  const auto all_in_redis = [&] {
    const transport::RedisReply keys = redis_command(loop, redis.url(), {"KEYS", "tether:ch:*direct*"});
    if (keys.elements.size() != 1) return false;
    stream = keys.elements[0].text;
    const transport::RedisReply length = redis_command(loop, redis.url(), {"XLEN", stream});
    return length.integer == kBurst;
  };
  bool stored = false;
  for (int attempt = 0; attempt < 3000 && !stored; ++attempt) {
    stored = all_in_redis();
    if (!stored) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(stored);
  const size_t before_kill = host.numbers("burst").size();
  nodes.processes[0]->kill();

  REQUIRE(host.pump_until([&] { return host.numbers("burst").size() >= static_cast<size_t>(kBurst); }));
  host.pump();  // anything beyond the burst would show up here
  const std::vector<long> received = host.numbers("burst");
  std::printf("cluster direct: burst=%d received_before_kill=%zu received=%zu readies=%d resumed=%d\n", kBurst,
              before_kill, received.size(), host.readies, host.resumed_readies);
  std::fflush(stdout);
  CHECK(before_kill < static_cast<size_t>(kBurst));
  REQUIRE(received.size() == static_cast<size_t>(kBurst));
  for (int i = 0; i < kBurst; ++i) {
    if (received[static_cast<size_t>(i)] != i + 1) FAIL("message " << i << " is " << received[static_cast<size_t>(i)]);
  }
  CHECK(host.readies == 2);
  CHECK(host.resumed_readies == 1);  // the session was taken over, not lost
  CHECK(host.recovered_auths == 1);
}

}  // namespace tether::cluster_test
