// A ClusterBroker in this process, against a real redis-server: the keys of
// a session it holds, and of a channel it listens to, outlive their TTL for
// as long as the session lives here, however quiet; once it is gone they
// expire.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "redis_process.h"
#include "run_until.h"
#include "server/cluster_broker.h"
#include "server/cluster_keys.h"

namespace tether::cluster_test {
namespace {

// PTTL of `key` in ms: -2 if it does not exist, -1 if it never expires.
int64_t ttl_of(transport::EventLoop& loop, transport::RedisClient& redis, const std::string& key) {
  bool answered = false;
  int64_t ttl = -3;
  REQUIRE(redis.command({"PTTL", key}, [&](transport::RedisReply&& reply) {
    ttl = reply.integer;
    answered = true;
  }));
  REQUIRE(test_support::run_until(loop, [&] { return answered; }));
  return ttl;
}

}  // namespace

TEST_CASE("a node keeps the keys of its quiet sessions and channels alive, and lets them go after",
          "[cluster][integration][keys]") {
  test_support::RedisProcess redis_process;
  REQUIRE(redis_process.start());
  transport::EventLoop loop;
  server::ClusterOptions options;
  options.redis_url = redis_process.url();
  options.node_id = "keeper";
  options.history_ttl_ms = 1500;  // refreshed every 1 s
  REQUIRE(server::validate(options) == nullptr);
  server::ClusterBroker broker(loop, options);
  bool subscribed = false;
  core::BrokerCallbacks callbacks;
  callbacks.deliver = [](const std::string&, const core::Delivery&) {};
  callbacks.subscribed = [&](const std::string&, const std::string&, const core::ChannelPosition&) {
    subscribed = true;
  };
  broker.bind(std::move(callbacks));
  REQUIRE(test_support::run_until(loop, [&] { return broker.ready(); }));

  broker.register_session("quiet-session", "alice", core::ChannelPosition{});
  broker.subscribe("quiet-session", "quiet-room");
  REQUIRE(test_support::run_until(loop, [&] { return subscribed; }));

  transport::RedisAddress address;
  REQUIRE(transport::parse_redis_url(redis_process.url(), address).empty());
  bool connected = false;
  transport::RedisClientHandlers handlers;
  handlers.on_connected = [&] { connected = true; };
  transport::RedisClient redis(loop, address, handlers);
  redis.start();
  REQUIRE(test_support::run_until(loop, [&] { return connected; }));

  const std::string session_key = server::cluster::session_key("quiet-session");
  const std::string room_meta = server::cluster::meta_key("quiet-room");
  const std::string direct_meta = server::cluster::meta_key(server::cluster::direct_channel("quiet-session"));
  // Three TTLs of silence: each key is still there.
  test_support::run_for(loop, 4500);
  CHECK(ttl_of(loop, redis, session_key) > 0);
  CHECK(ttl_of(loop, redis, room_meta) > 0);
  CHECK(ttl_of(loop, redis, direct_meta) > 0);

  // The session leaves this node: nothing keeps its keys any more.
  broker.remove_session("quiet-session");
  test_support::run_for(loop, 2500);
  CHECK(ttl_of(loop, redis, session_key) == -2);
  CHECK(ttl_of(loop, redis, room_meta) == -2);
  CHECK(ttl_of(loop, redis, direct_meta) == -2);
}

}  // namespace tether::cluster_test
