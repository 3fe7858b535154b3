// tether-server nodes sharing channels through a real redis-server, all on
// 127.0.0.1 with ephemeral ports: fan-out across nodes, permissions on every
// node, and what clients see while Redis is down (reliable publishes go
// unacked and are resent; nothing is lost or published twice).
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cluster_harness.h"
#include "redis_process.h"
#include "run_until.h"
#include "server_process.h"
#include "test_client.h"
#include "server/command_line.h"
#include "tokens.h"
#include "transport/redis_client.h"

namespace tether::cluster_test {
namespace {

using core::ClientEvent;
using core::SendStatus;
using test_support::kServerBinary;
using test_support::kTestSecret;
using test_support::mint_token;
using test_support::RedisProcess;
using test_support::ServerProcess;
using test_support::TestClient;

struct Cluster {
  explicit Cluster(size_t nodes, const std::vector<std::string>& extra_args = {}) {
    REQUIRE(redis.start());
    servers = start_nodes(kServerBinary, redis, static_cast<int>(nodes), extra_args).processes;
  }
  std::string url(size_t node) const { return servers[node]->url(); }

  transport::EventLoop loop;
  RedisProcess redis;
  std::vector<std::unique_ptr<ServerProcess>> servers;
};

void connect_and_subscribe(TestClient& client, const std::string& channel) {
  client.connect();
  REQUIRE(client.wait_ready());
  REQUIRE(client.subscribe(channel) == SendStatus::Ok);
  REQUIRE(client.wait_for([&] { return client.count(ClientEvent::Kind::Subscribed) == 1; }));
}

std::vector<std::string> data_of(const TestClient& client, const std::string& channel) {
  std::vector<std::string> out;
  for (const auto& message : client.messages(channel)) out.push_back(message.data);
  return out;
}


std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i <= to; ++i) out.push_back(std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE("a publish on one node reaches subscribers on every node, once and in order",
          "[cluster][integration]") {
  Cluster cluster(3);
  TestClient alice(cluster.loop, cluster.url(0), mint_token("alice"));
  TestClient bob(cluster.loop, cluster.url(1), mint_token("bob"));
  TestClient carol(cluster.loop, cluster.url(2), mint_token("carol"));
  TestClient dave(cluster.loop, cluster.url(1), mint_token("dave"));  // another channel
  connect_and_subscribe(alice, "room");
  connect_and_subscribe(bob, "room");
  connect_and_subscribe(dave, "elsewhere");
  carol.connect();
  REQUIRE(carol.wait_ready());

  for (int i = 1; i <= 200; ++i) REQUIRE(carol.publish("room", std::to_string(i), i % 2 == 0) == SendStatus::Ok);
  REQUIRE(carol.wait_for([&] {
    return alice.messages("room").size() >= 200 && bob.messages("room").size() >= 200 &&
           carol.count(ClientEvent::Kind::Acked) == 100;
  }));
  CHECK(data_of(alice, "room") == numbered(1, 200));
  CHECK(data_of(bob, "room") == numbered(1, 200));
  CHECK(dave.messages().empty());

  // Both ways: a subscriber's publish reaches the others on their nodes.
  REQUIRE(bob.publish("room", R"({"from":"bob"})", true) == SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.messages("room").size() == 201 && bob.messages("room").size() == 201; }));
  CHECK(alice.messages("room").back().data == R"({"from":"bob"})");
}

TEST_CASE("every node enforces the token's permissions", "[cluster][integration]") {
  Cluster cluster(2);
  TestClient reader(cluster.loop, cluster.url(0), mint_token("reader", {"subscribe:room", "subscribe:secret"}));
  connect_and_subscribe(reader, "room");
  REQUIRE(reader.subscribe("secret") == SendStatus::Ok);
  REQUIRE(reader.wait_for([&] { return reader.count(ClientEvent::Kind::Subscribed) == 2; }));

  // On the other node: may publish to room, not to secret, and not subscribe at all.
  TestClient writer(cluster.loop, cluster.url(1), mint_token("writer", {"publish:room"}));
  writer.connect();
  REQUIRE(writer.wait_ready());
  REQUIRE(writer.publish("room", "1", true) == SendStatus::Ok);
  CHECK(writer.publish("secret", "2", true) == SendStatus::PermissionDenied);
  CHECK(writer.subscribe("secret") == SendStatus::PermissionDenied);
  REQUIRE(reader.wait_for([&] { return reader.messages("room").size() == 1 && writer.count(ClientEvent::Kind::Acked) == 1; }));
  CHECK(reader.messages("secret").empty());

  // A token that claims more than the server knows it has is refused on every node.
  TestClient forger(cluster.loop, cluster.url(1), mint_token("forger", {"publish:*"}, 60 * 60 * 1000, "not-the-secret"));
  forger.connect();
  REQUIRE(forger.wait_for([&] { return forger.state() == core::ClientState::Unauthorized; }));
}

TEST_CASE("while Redis is down reliable publishes go unacked, and once it is back they are delivered once",
          "[cluster][integration]") {
  Cluster cluster(2);
  TestClient reader(cluster.loop, cluster.url(0), mint_token("reader"));
  connect_and_subscribe(reader, "room");
  core::ClientConfig config = TestClient::default_config(mint_token("writer"));
  config.reliable.ack_timeout_ms = 500;  // resend soon after Redis is back
  config.reliable.retry_forever = true;  // however long Redis takes to come back
  TestClient writer(cluster.loop, cluster.url(1), config);
  writer.connect();
  REQUIRE(writer.wait_ready());
  REQUIRE(writer.publish("room", "1", true) == SendStatus::Ok);
  REQUIRE(reader.wait_for([&] { return reader.messages("room").size() == 1; }));

  cluster.redis.stop();
  for (int i = 2; i <= 20; ++i) REQUIRE(writer.publish("room", std::to_string(i), true) == SendStatus::Ok);
  // Nothing can be committed: nothing is acked, nothing delivered, and the
  // writer keeps its messages (its sends do not fail).
  CHECK_FALSE(writer.wait_for([&] { return writer.count(ClientEvent::Kind::Acked) > 1; }, 1500));
  CHECK(reader.messages("room").size() == 1);
  CHECK(writer.count(ClientEvent::Kind::SendFailed) == 0);

  REQUIRE(cluster.redis.restart());
  const bool all_through = writer.wait_for(
      [&] { return writer.count(ClientEvent::Kind::Acked) == 20 && reader.messages("room").size() >= 20; }, 30000);
  INFO("acked " << writer.count(ClientEvent::Kind::Acked) << ", received " << reader.messages("room").size());
  for (const std::string& line : cluster.servers[0]->log_lines()) UNSCOPED_INFO("node1: " << line);
  for (const std::string& line : cluster.servers[1]->log_lines()) UNSCOPED_INFO("node2: " << line);
  REQUIRE(all_through);
  CHECK(data_of(reader, "room") == numbered(1, 20));
  // Redis came back without its data (no persistence here): the channel's
  // history is gone, and the subscriber is told so rather than left guessing.
  const ClientEvent* lost = reader.find(ClientEvent::Kind::Error, [](const ClientEvent& e) { return e.code == "history_lost"; });
  REQUIRE(lost != nullptr);
  CHECK(lost->reason.find("'room'") != std::string::npos);
  // The writer subscribed to nothing; what it may hear of is its own direct
  // stream (what the server sends it alone), whose history Redis lost too.
  for (const ClientEvent& event : writer.events()) {
    if (event.kind == ClientEvent::Kind::Error) CHECK(event.code == "history_lost");
  }
}

TEST_CASE("what pub/sub drops while a node reconnects to Redis is fetched from the stream, once, in order",
          "[cluster][integration]") {
  Cluster cluster(2);
  TestClient reader(cluster.loop, cluster.url(0), mint_token("reader"));
  connect_and_subscribe(reader, "room");
  TestClient writer(cluster.loop, cluster.url(1), mint_token("writer"));
  writer.connect();
  REQUIRE(writer.wait_ready());
  for (int i = 1; i <= 50; ++i) REQUIRE(writer.publish("room", std::to_string(i), true) == SendStatus::Ok);
  REQUIRE(reader.wait_for([&] { return reader.messages("room").size() == 50; }));

  // Every node's subscriber connection drops; what is published before they
  // are back never reaches them through pub/sub.
  const transport::RedisReply killed = redis_command(cluster.loop, cluster.redis.url(), {"CLIENT", "KILL", "TYPE", "pubsub"});
  REQUIRE(killed.type == transport::RedisReply::Type::Integer);
  CHECK(killed.integer >= 1);
  for (int i = 51; i <= 100; ++i) REQUIRE(writer.publish("room", std::to_string(i), true) == SendStatus::Ok);
  REQUIRE(writer.wait_for([&] { return writer.count(ClientEvent::Kind::Acked) == 100; }));
  REQUIRE(reader.wait_for([&] { return reader.messages("room").size() >= 100; }, 20000));
  CHECK(data_of(reader, "room") == numbered(1, 100));
  // And the feed carries on live.
  REQUIRE(writer.publish("room", "101", true) == SendStatus::Ok);
  REQUIRE(reader.wait_for([&] { return reader.messages("room").size() == 101; }));
  CHECK(reader.messages("room").back().data == "101");
}

TEST_CASE("a draining node stops accepting, closes its clients with 1001 spread over --drain-ms, then exits",
          "[cluster][integration]") {
  constexpr int64_t kDrainMs = 1500;
  Cluster cluster(2, {"--drain-ms", std::to_string(kDrainMs)});
  constexpr size_t kClients = 20;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (size_t i = 0; i < kClients; ++i) {
    core::ClientConfig config = TestClient::default_config(mint_token("player" + std::to_string(i)));
    config.backoff.initial_delay_ms = 60000;  // stay down once closed: each close is seen once
    config.backoff.max_delay_ms = 60000;
    clients.push_back(std::make_unique<TestClient>(cluster.loop, cluster.url(0), config));
    clients.back()->connect();
  }
  for (auto& client : clients) REQUIRE(client->wait_ready());
  TestClient elsewhere(cluster.loop, cluster.url(1), mint_token("elsewhere"));
  elsewhere.connect();
  REQUIRE(elsewhere.wait_ready());

  REQUIRE(cluster.servers[0]->terminate());
  const int64_t began = cluster.loop.now_ms();
  std::vector<int64_t> closed_at(kClients, -1);
  REQUIRE(test_support::run_until(
      cluster.loop,
      [&] {
        size_t closed = 0;
        for (size_t i = 0; i < kClients; ++i) {
          if (closed_at[i] < 0 && !clients[i]->closes().empty()) closed_at[i] = cluster.loop.now_ms() - began;
          if (closed_at[i] >= 0) ++closed;
        }
        return closed == kClients;
      },
      kDrainMs + 10000));
  for (auto& client : clients) {
    CHECK(client->closes().front().code == core::close_code::kGoingAway);
    CHECK(client->closes().front().reason == "server draining");
  }
  const auto [first, last] = std::minmax_element(closed_at.begin(), closed_at.end());
  INFO("first close after " << *first << " ms, last after " << *last << " ms");
  CHECK(*last - *first >= kDrainMs / 5);  // spread out, not a storm
  CHECK(*last <= kDrainMs + 1000);
  // It no longer accepts: a newcomer cannot get in.
  TestClient late(cluster.loop, cluster.url(0), mint_token("late"));
  late.connect();
  CHECK_FALSE(late.wait_for([&] { return late.state() == core::ClientState::Ready; }, 500));
  // It exits on its own once its clients are gone; the other node serves on.
  REQUIRE(test_support::run_until(cluster.loop, [&] { return cluster.servers[0]->has_exited(); }, 10000));
  CHECK(cluster.servers[0]->exit_code() == 0);
  CHECK(cluster.servers[0]->log_contains("draining"));
  CHECK(elsewhere.state() == core::ClientState::Ready);
}

TEST_CASE("the cluster flags parse, are documented, and refuse what cannot work", "[cluster][cli]") {
  using server::CommandLine;
  using server::parse_command_line;
  CommandLine parsed;
  REQUIRE(parse_command_line({"--jwt-secret", "s", "--redis", "redis://127.0.0.1:7000", "--node-id", "eu-1",
                              "--history-size", "50", "--drain-ms", "0"},
                             nullptr, parsed)
              .empty());
  CHECK(parsed.cluster.redis_url == "redis://127.0.0.1:7000");
  CHECK(parsed.cluster.node_id == "eu-1");
  CHECK(parsed.cluster.history_size == 50);
  CHECK(parsed.cluster.drain_ms == 0);
  CHECK(parse_command_line({"--jwt-secret", "s", "--redis", "unix:///tmp/redis.sock"}, nullptr, parsed).empty());
  CHECK(parse_command_line({"--jwt-secret", "s"}, nullptr, parsed).empty());
  CHECK(parsed.cluster.redis_url.empty());  // a single node by default

  const std::vector<std::vector<std::string_view>> refused = {
      {"--redis", "redis.example.com:6379"},                // no scheme
      {"--redis", "redis://redis.example.com:6379"},        // a name: hiredis would block on the lookup
      {"--redis", "redis://127.0.0.1:0"},                   // no such port
      {"--redis", "redis://127.0.0.1", "--node-id", "a b"},  // not a plain name
      {"--redis", "redis://127.0.0.1", "--history-size", "0"},
      {"--redis", "redis://127.0.0.1", "--drain-ms", "-1"},
      {"--node-id", "n1"},                                  // cluster flags without --redis
      {"--drain-ms", "100"},
  };
  for (const auto& extra : refused) {
    std::vector<std::string_view> args{"--jwt-secret", "s"};
    args.insert(args.end(), extra.begin(), extra.end());
    INFO(extra[0] << " " << extra[1]);
    CHECK_FALSE(parse_command_line(args, nullptr, parsed).empty());
  }
  for (const char* flag : {"--redis", "--node-id", "--history-size", "--drain-ms"}) {
    CHECK(std::string(server::usage_text()).find(flag) != std::string::npos);
  }
}

TEST_CASE("a flushed script cache costs a resend, not a message", "[cluster][integration]") {
  Cluster cluster(1);
  TestClient reader(cluster.loop, cluster.url(0), mint_token("reader"));
  connect_and_subscribe(reader, "room");
  core::ClientConfig config = TestClient::default_config(mint_token("writer"));
  config.reliable.ack_timeout_ms = 300;
  config.reliable.retry_forever = true;
  TestClient writer(cluster.loop, cluster.url(0), config);
  writer.connect();
  REQUIRE(writer.wait_ready());
  REQUIRE(writer.publish("room", "1", true) == SendStatus::Ok);
  REQUIRE(reader.wait_for([&] { return reader.messages("room").size() == 1; }));
  // Publishes name the script by its SHA1; with the cache flushed, Redis
  // answers NOSCRIPT: not committed, so not acked, and resent.
  CHECK(redis_command(cluster.loop, cluster.redis.url(), {"SCRIPT", "FLUSH"}).type == transport::RedisReply::Type::Status);
  for (int i = 2; i <= 5; ++i) REQUIRE(writer.publish("room", std::to_string(i), true) == SendStatus::Ok);
  REQUIRE(writer.wait_for([&] { return writer.count(ClientEvent::Kind::Acked) == 5 && reader.messages("room").size() >= 5; }));
  CHECK(data_of(reader, "room") == numbered(1, 5));
}

TEST_CASE("a subscribe repeated with the client's position is confirmed again, and nothing is delivered twice",
          "[cluster][integration]") {
  Cluster cluster(1);
  TestClient alice(cluster.loop, cluster.url(0), mint_token("alice"));
  connect_and_subscribe(alice, "room");
  REQUIRE(alice.publish("room", "1", true) == SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.messages("room").size() == 1; }));
  // The client now has a position in "room", and its subscribe carries it.
  REQUIRE(alice.subscribe("room") == SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.count(ClientEvent::Kind::Subscribed) == 2; }));
  REQUIRE(alice.publish("room", "2", true) == SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.messages("room").size() >= 2; }));
  test_support::run_for(cluster.loop, 200);
  CHECK(data_of(alice, "room") == numbered(1, 2));
}

}  // namespace tether::cluster_test
