// A client whose node died while Redis could not answer: the node it fails
// over to cannot ask the cluster where the session stands, so it puts the
// resume off (error cluster_unavailable, close 1013) rather than guess, and
// the client comes back until the cluster answers; then it is recovered
// exactly once (docs/PROTOCOL.md 11.1). A real redis-server (paused with
// SIGSTOP), two tether-server nodes, and C API clients.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "capi_host.h"
#include "cluster_harness.h"
#include "redis_process.h"
#include "server_process.h"
#include "tokens.h"

namespace tether::cluster_test {
namespace {

using test_support::kServerBinary;
using test_support::kTestSecret;
using test_support::RedisProcess;
using test_support::ServerProcess;

bool send_numbered(CapiHost& host, const char* channel, int n) {
  const std::string payload = "[" + std::to_string(n) + "]";
  return tether_client_send(host.client, channel, payload.c_str(), payload.size(), TETHER_SEND_RELIABLE, nullptr) ==
         TETHER_OK;
}

std::vector<long> range(long from, long to) {
  std::vector<long> out;
  for (long i = from; i <= to; ++i) out.push_back(i);
  return out;
}

}  // namespace

TEST_CASE("a resume the cluster cannot answer is put off with 1013, then recovered exactly once",
          "[cluster][integration][failover]") {
  RedisProcess redis;
  REQUIRE(redis.start());
  Nodes nodes = start_nodes(kServerBinary, redis, 2);
  const std::vector<std::string>& urls = nodes.urls;
  CapiHost reader({urls[1]}, test_support::mint_token("reader"));
  REQUIRE(tether_client_subscribe(reader.client, "room") == TETHER_OK);
  REQUIRE(reader.pump_until([&] { return reader.subscribed == 1; }));
  CapiHost writer(urls, test_support::mint_token("writer"));  // starts on node1
  REQUIRE(writer.pump_until([&] { return writer.readies == 1; }));
  for (int i = 1; i <= 10; ++i) REQUIRE(send_numbered(writer, "room", i));
  REQUIRE(writer.pump_until([&] { return writer.acks == 10; }));
  REQUIRE(reader.pump_until([&] { return reader.numbers("room").size() == 10; }));

  // Redis hangs; the writer's node dies with 11..20 unacked.
  REQUIRE(redis.pause());
  for (int i = 11; i <= 20; ++i) REQUIRE(send_numbered(writer, "room", i));
  writer.pump();
  nodes.processes[0]->kill();
  // node2 cannot claim the session: it says so and closes 1013, again and again.
  REQUIRE(writer.pump_until([&] { return writer.errors["cluster_unavailable"] >= 2; }));
  CHECK(writer.readies == 1);
  CHECK(writer.acks == 10);

  REQUIRE(redis.resume());
  REQUIRE(writer.pump_until([&] { return writer.readies == 2 && writer.acks == 20; }));
  CHECK(writer.resumed_readies == 1);  // taken over, not a new session
  CHECK(writer.recovered_auths == 1);
  CHECK(writer.send_failures == 0);
  REQUIRE(reader.pump_until([&] { return reader.numbers("room").size() >= 20; }));
  reader.pump();
  CHECK(reader.numbers("room") == range(1, 20));
}

}  // namespace tether::cluster_test
