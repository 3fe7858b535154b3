// RedisClient when things go wrong, against a real redis-server: killed,
// hung (SIGSTOP), stopped and restarted, at its pending bounds, and
// destroyed at awkward moments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "redis_harness.h"

namespace tether::transport {
namespace {

using namespace redis_test;
TEST_CASE("RedisClient survives redis-server being killed and reconnects by itself", "[redis]") {
  Harness h;
  Events cmd_events;
  Events sub_events;
  Events observer_events;
  RedisClientOptions options = quick_reconnects();
  options.command_timeout_ms = 10000;  // the loss, not the timeout, must end the blocked commands
  auto client = h.client(cmd_events, options);
  auto subscriber = h.client(sub_events, options, {"news"});
  auto observer = h.client(observer_events, options);

  // Pending at the server: a BLPOP that blocks forever, and PINGs queued behind it.
  constexpr int kPending = 101;
  std::vector<int> calls(kPending, 0);
  int none_replies = 0;
  for (int i = 0; i < kPending; ++i) {
    std::vector<std::string> argv = i == 0 ? std::vector<std::string>{"BLPOP", "never", "0"}
                                           : std::vector<std::string>{"PING"};
    REQUIRE(client->command(std::move(argv), [&, i](RedisReply&& reply) {
      ++calls[i];
      if (reply.type == Type::None) ++none_replies;
    }));
  }
  REQUIRE(h.eventually([&] { return contains(h.call(*observer, {"INFO", "clients"}).text, "blocked_clients:1"); }));

  h.redis.kill();
  REQUIRE(run_until(h.loop, [&] {
    return none_replies == kPending && !cmd_events.disconnects.empty() && !sub_events.disconnects.empty();
  }));
  for (int i = 0; i < kPending; ++i) CHECK(calls[i] == 1);
  CHECK_FALSE(client->connected());
  CHECK_FALSE(client->command({"PING"}, [](RedisReply&&) { FAIL("refused commands never call back"); }));
  CHECK(client->stats().pending_commands == 0);
  run_for(h.loop, 100);  // a few refused reconnect attempts
  CHECK(cmd_events.connects == 1);

  const bool restarted = h.redis.restart();
  INFO(h.redis.error());
  REQUIRE(restarted);
  REQUIRE(run_until(h.loop, [&] { return client->connected() && subscriber->connected(); }));
  CHECK(cmd_events.connects == 2);
  CHECK(client->stats().reconnects == 1);
  // Once per loss: one lost connection, then only failed attempts.
  int lost_connections = 0;
  for (const std::string& why : cmd_events.disconnects) {
    if (!contains(why, "connect failed")) ++lost_connections;
  }
  CHECK(lost_connections == 1);
  CHECK(calls == std::vector<int>(kPending, 1));

  // Re-subscribed before on_connected: a message published now arrives.
  CHECK(h.call(*client, {"PUBLISH", "news", "after restart"}).integer == 1);
  REQUIRE(run_until(h.loop, [&] { return sub_events.messages.size() == 1; }));
  CHECK(sub_events.messages[0].second == "after restart");
  h.call(*client, {"SET", "k", "v"});
  CHECK(h.call(*client, {"GET", "k"}).text == "v");
}

TEST_CASE("RedisClient drops a hung server after command_timeout_ms, then reconnects", "[redis]") {
  Harness h;
  Events events;
  RedisClientOptions options = quick_reconnects();
  options.command_timeout_ms = 300;
  options.connect_timeout_ms = 300;
  auto client = h.client(events, options);

  REQUIRE(h.redis.pause());
  const auto sent = std::chrono::steady_clock::now();
  std::optional<RedisReply> reply;
  REQUIRE(client->command({"PING"}, [&](RedisReply&& r) { reply = std::move(r); }));
  REQUIRE(run_until(h.loop, [&] { return reply.has_value(); }));
  const int64_t waited = elapsed_ms(sent);
  CHECK(reply->type == Type::None);
  CHECK(waited >= 300);
  CHECK(waited < 3000);
  REQUIRE(run_until(h.loop, [&] { return !events.disconnects.empty(); }));
  CHECK(contains(events.disconnects[0], "no reply"));
  CHECK_FALSE(client->connected());

  // A stopped server still completes TCP handshakes (the kernel does), but
  // never answers the PING: attempts time out and the client stays down.
  REQUIRE(run_until(h.loop, [&] { return events.disconnects.size() >= 2; }));
  CHECK(contains(events.disconnects[1], "connect timed out"));
  CHECK(events.connects == 1);

  REQUIRE(h.redis.resume());
  REQUIRE(run_until(h.loop, [&] { return client->connected(); }));
  CHECK(events.connects == 2);
  CHECK(h.call(*client, {"PING"}).text == "PONG");
}

TEST_CASE("RedisClient refuses commands beyond its pending bounds", "[redis]") {
  Harness h;
  Events events;
  RedisClientOptions options = quick_reconnects();
  options.command_timeout_ms = 20000;
  options.max_pending_commands = 100;
  auto by_count = h.client(events, options);
  options.max_pending_commands = 65536;
  options.max_pending_bytes = 10000;
  auto by_bytes = h.client(events, options);

  REQUIRE(h.redis.pause());
  int answered = 0;
  const auto count_ok = [&](RedisReply&& reply) {
    if (reply.ok()) ++answered;
  };
  int accepted = 0;
  for (int i = 0; i < 200; ++i) accepted += by_count->command({"SET", "k", std::to_string(i)}, count_ok) ? 1 : 0;
  CHECK(accepted == 100);
  CHECK(by_count->stats().pending_commands == 100);

  // SET + key + 1000 bytes = 1005 bytes of argv: 9 fit in 10000, a 10th does not.
  const std::string value(1000, 'v');
  int accepted_bytes = 0;
  for (int i = 0; i < 20; ++i) accepted_bytes += by_bytes->command({"SET", "kb", value}, count_ok) ? 1 : 0;
  CHECK(accepted_bytes == 9);
  CHECK(by_bytes->stats().pending_bytes == 9 * 1005);
  CHECK(by_bytes->command({"PING"}, count_ok));  // a small one still fits
  CHECK_FALSE(by_bytes->command({"SET", "big", std::string(20000, 'x')}, count_ok));

  REQUIRE(h.redis.resume());
  REQUIRE(run_until(h.loop, [&] { return answered == 100 + 9 + 1; }));
  CHECK(by_count->stats().pending_commands == 0);
  CHECK(by_bytes->stats().pending_bytes == 0);
  CHECK(by_count->command({"PING"}, count_ok));
}

TEST_CASE("Destroying a RedisClient with commands pending calls nothing afterwards", "[redis]") {
  Harness h;
  Events events;
  auto client = h.client(events);
  REQUIRE(h.redis.pause());
  int calls = 0;
  for (int i = 0; i < 50; ++i) REQUIRE(client->command({"PING"}, [&](RedisReply&&) { ++calls; }));
  run_for(h.loop, 20);  // written to the socket
  client.reset();
  REQUIRE(h.redis.resume());
  run_for(h.loop, 200);
  CHECK(calls == 0);
  CHECK(events.disconnects.empty());
}

TEST_CASE("A RedisClient may be destroyed from inside its own callbacks", "[redis]") {
  Harness h;

  SECTION("from a ReplyFn, with more replies already read") {
    Events events;
    auto client = h.client(events);
    int calls = 0;
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(client->command({"PING"}, [&](RedisReply&&) {
        ++calls;
        client.reset();
      }));
    }
    REQUIRE(run_until(h.loop, [&] { return calls > 0; }));
    run_for(h.loop, 100);
    CHECK(calls == 1);
    CHECK(client == nullptr);
  }

  SECTION("from on_message, with more messages queued") {
    Events pub_events;
    auto publisher = h.client(pub_events);
    std::unique_ptr<RedisClient> subscriber;
    int messages = 0;
    RedisClientHandlers handlers;
    handlers.on_message = [&](std::string_view, std::string_view) {
      ++messages;
      subscriber.reset();
    };
    subscriber = std::make_unique<RedisClient>(h.loop, address_of(h.redis), handlers, quick_reconnects());
    REQUIRE(subscriber->subscribe("flood"));
    subscriber->start();
    REQUIRE(run_until(h.loop, [&] { return subscriber->connected(); }));
    for (int i = 0; i < 200; ++i) REQUIRE(publisher->command({"PUBLISH", "flood", std::to_string(i)}, nullptr));
    REQUIRE(run_until(h.loop, [&] { return messages > 0; }));
    run_for(h.loop, 100);
    CHECK(messages == 1);
    CHECK(subscriber == nullptr);
  }

  SECTION("from on_disconnected and on_connected") {
    std::unique_ptr<RedisClient> first;
    std::unique_ptr<RedisClient> second;
    int disconnects = 0;
    int connects = 0;
    RedisClientHandlers drop_on_loss;
    drop_on_loss.on_disconnected = [&](std::string_view) {
      ++disconnects;
      first.reset();
    };
    RedisClientHandlers drop_on_connect;
    drop_on_connect.on_connected = [&] {
      ++connects;
      second.reset();
    };
    first = std::make_unique<RedisClient>(h.loop, address_of(h.redis), drop_on_loss, quick_reconnects());
    first->start();
    REQUIRE(run_until(h.loop, [&] { return first->connected(); }));
    int pending_none = 0;
    REQUIRE(first->command({"BLPOP", "never", "0"}, [&](RedisReply&& r) { pending_none += r.type == Type::None; }));
    second = std::make_unique<RedisClient>(h.loop, address_of(h.redis), drop_on_connect, quick_reconnects());
    second->start();
    REQUIRE(run_until(h.loop, [&] { return connects == 1; }));
    CHECK(second == nullptr);

    run_for(h.loop, 20);
    h.redis.kill();
    REQUIRE(run_until(h.loop, [&] { return disconnects == 1; }));
    run_for(h.loop, 200);  // a destroyed client does not keep reconnecting
    CHECK(disconnects == 1);
    CHECK(pending_none == 1);
    CHECK(first == nullptr);
  }
}

TEST_CASE("RedisClient says when each SUBSCRIBE took effect, again after a reconnect", "[redis]") {
  Harness h;
  Events sub_events;
  auto subscriber = h.client(sub_events, quick_reconnects(), {"a"});
  CHECK(sub_events.subscribed == std::vector<std::string>{"a"});
  REQUIRE(subscriber->subscribe("b"));
  REQUIRE(run_until(h.loop, [&] { return sub_events.subscribed.size() == 2; }));
  CHECK(sub_events.subscribed[1] == "b");
  // Confirmed means published from now on arrives.
  Events pub_events;
  auto publisher = h.client(pub_events);
  CHECK(h.call(*publisher, {"PUBLISH", "b", "after"}).integer == 1);
  REQUIRE(run_until(h.loop, [&] { return sub_events.messages.size() == 1; }));

  h.redis.kill();
  REQUIRE(h.redis.restart());
  REQUIRE(run_until(h.loop, [&] { return sub_events.subscribed.size() == 4; }, 20000));
  std::vector<std::string> again(sub_events.subscribed.begin() + 2, sub_events.subscribed.end());
  std::sort(again.begin(), again.end());
  CHECK(again == std::vector<std::string>{"a", "b"});
}

TEST_CASE("RedisClient comes back after redis-server stops and restarts, again and again", "[redis]") {
  Harness h;
  Events events;
  auto client = h.client(events);
  for (int round = 0; round < 5; ++round) {
    INFO("round " << round);
    REQUIRE(h.redis.stop() == 0);
    REQUIRE(run_until(h.loop, [&] { return !client->connected(); }));
    // Commands refused while down; time passes through several failed attempts.
    for (int i = 0; i < 15; ++i) {
      CHECK_FALSE(client->command({"PING"}, [](RedisReply&&) {}));
      run_for(h.loop, 100);
    }
    REQUIRE(h.redis.restart());
    REQUIRE(run_until(h.loop, [&] { return client->connected(); }, 10000));
    CHECK(h.call(*client, {"PING"}).text == "PONG");
  }
}

}  // namespace
}  // namespace tether::transport
