#pragma once
// What the cluster tests share: nodes started against one redis-server, and
// one Redis command run to its reply.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "redis_process.h"
#include "run_until.h"
#include "server_process.h"
#include "tokens.h"
#include "transport/redis_client.h"

namespace tether::cluster_test {

struct Nodes {
  std::vector<std::unique_ptr<test_support::ServerProcess>> processes;
  std::vector<std::string> urls;
};

// `count` nodes of `binary` (tether-server or a test node) named node1..,
// with the test secret and `extra_args`; REQUIREs that each starts.
inline Nodes start_nodes(const std::string& binary, const test_support::RedisProcess& redis, int count,
                         const std::vector<std::string>& extra_args = {}) {
  Nodes nodes;
  for (int i = 1; i <= count; ++i) {
    std::vector<std::string> args{"--jwt-secret", test_support::kTestSecret, "--redis", redis.url(), "--node-id",
                                  "node" + std::to_string(i)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    nodes.processes.push_back(std::make_unique<test_support::ServerProcess>(binary, args));
    const bool started = nodes.processes.back()->start();
    INFO(nodes.processes.back()->error());
    REQUIRE(started);
    nodes.urls.push_back(nodes.processes.back()->url());
  }
  return nodes;
}

// Runs one command on the Redis at `redis_url` and waits for its reply.
inline transport::RedisReply redis_command(transport::EventLoop& loop, const std::string& redis_url,
                                           std::vector<std::string> argv) {
  transport::RedisAddress address;
  REQUIRE(transport::parse_redis_url(redis_url, address).empty());
  bool connected = false;
  transport::RedisClientHandlers handlers;
  handlers.on_connected = [&] { connected = true; };
  transport::RedisClient redis(loop, address, handlers);
  redis.start();
  REQUIRE(test_support::run_until(loop, [&] { return connected; }));
  bool answered = false;
  transport::RedisReply reply;
  REQUIRE(redis.command(std::move(argv), [&](transport::RedisReply&& r) {
    reply = std::move(r);
    answered = true;
  }));
  REQUIRE(test_support::run_until(loop, [&] { return answered; }));
  return reply;
}

}  // namespace tether::cluster_test
