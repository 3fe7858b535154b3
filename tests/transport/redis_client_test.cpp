// RedisClient against a real redis-server (127.0.0.1 on an ephemeral port, or
// a unix socket; never 6379): URLs, replies, Lua, pipelining, pub/sub, and
// what it refuses. Failures and lifetimes: redis_client_failure_test.cpp.
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
TEST_CASE("parse_redis_url accepts IP literals, localhost and unix paths", "[redis]") {
  RedisAddress a;
  CHECK(parse_redis_url("redis://127.0.0.1:6380", a) == "");
  CHECK((a.host == "127.0.0.1" && a.port == 6380 && a.unix_path.empty()));
  CHECK(parse_redis_url("redis://10.1.2.3", a) == "");
  CHECK((a.host == "10.1.2.3" && a.port == 6379));
  CHECK(parse_redis_url("REDIS://localhost:7000/", a) == "");
  CHECK((a.host == "127.0.0.1" && a.port == 7000));
  CHECK(parse_redis_url("redis://[::1]:7001/0", a) == "");
  CHECK((a.host == "::1" && a.port == 7001));
  CHECK(to_string(a) == "redis://[::1]:7001");
  CHECK(parse_redis_url("unix:///run/redis/redis.sock", a) == "");
  CHECK((a.unix_path == "/run/redis/redis.sock" && a.host.empty()));
  CHECK(to_string(a) == "unix:///run/redis/redis.sock");
  CHECK(parse_redis_url("redis+unix:///tmp/r.sock", a) == "");
  CHECK(a.unix_path == "/tmp/r.sock");
  CHECK(to_string(RedisAddress{"127.0.0.1", 6379, ""}) == "redis://127.0.0.1:6379");
}

TEST_CASE("parse_redis_url refuses unusable URLs and leaves the address alone", "[redis]") {
  const RedisAddress before{"192.0.2.1", 1234, ""};
  const char* bad[] = {
      "127.0.0.1:6379",               // no scheme
      "http://127.0.0.1:6379",        // wrong scheme
      "rediss://127.0.0.1:6379",      // TLS is not supported
      "redis://127.0.0.1:0",          // port 0
      "redis://127.0.0.1:65536",      // port too large
      "redis://127.0.0.1:63a9",       // port with letters
      "redis://127.0.0.1:",           // empty port
      "redis://",                     // no host
      "redis://:6379",                // empty host
      "redis://example.com:6379",     // a name: would block in getaddrinfo
      "redis://::1:6379",             // IPv6 without brackets
      "redis://[::1:6379",            // unclosed bracket
      "redis://[127.0.0.1]:6379",     // brackets around IPv4
      "redis://user:pw@127.0.0.1",    // credentials
      "redis://127.0.0.1:6379/2",     // another database
      "unix://relative/redis.sock",   // relative path
      "unix://",                      // no path
  };
  for (const char* url : bad) {
    RedisAddress address = before;
    const std::string why = parse_redis_url(url, address);
    INFO(url << " -> " << why);
    CHECK_FALSE(why.empty());
    CHECK((address.host == before.host && address.port == before.port && address.unix_path.empty()));
  }
  RedisAddress address;
  CHECK(contains(parse_redis_url("redis://example.com", address), "not an IP address"));
  CHECK(contains(parse_redis_url("unix:///" + std::string(200, 'x'), address), "longer than"));
}

TEST_CASE("validate(RedisClientOptions) names the first bad field", "[redis]") {
  CHECK(validate(RedisClientOptions{}) == nullptr);
  RedisClientOptions options;
  options.command_timeout_ms = 0;
  CHECK(contains(validate(options), "command_timeout_ms"));
  options = {};
  options.reconnect_max_ms = options.reconnect_min_ms - 1;
  CHECK(contains(validate(options), "reconnect_max_ms"));
  options = {};
  options.max_pending_bytes = 0;
  CHECK(contains(validate(options), "max_pending_bytes"));
}

TEST_CASE("RedisClient maps every reply type, binary-safe, over TCP", "[redis]") {
  Harness h;
  Events events;
  auto client = h.client(events);
  CHECK(events.connects == 1);

  const std::string binary_value("a\0b\xff\xfe\0z", 7);
  const std::string binary_key("k\0\xff", 3);
  RedisReply set = h.call(*client, {"SET", binary_key, binary_value});
  CHECK(set.type == Type::Status);
  CHECK(set.text == "OK");
  RedisReply get = h.call(*client, {"GET", binary_key});
  CHECK(get.type == Type::String);
  CHECK(get.text == binary_value);

  RedisReply incr = h.call(*client, {"INCRBY", "counter", "41"});
  CHECK(incr.type == Type::Integer);
  CHECK(incr.integer == 41);
  CHECK(h.call(*client, {"DECRBY", "counter", "100"}).integer == -59);

  RedisReply missing = h.call(*client, {"GET", "no-such-key"});
  CHECK(missing.type == Type::Nil);
  CHECK(missing.ok());

  h.call(*client, {"RPUSH", "list", "one", "", "three"});
  RedisReply range = h.call(*client, {"LRANGE", "list", "0", "-1"});
  REQUIRE(range.type == Type::Array);
  REQUIRE(range.elements.size() == 3);
  CHECK(range.elements[0].text == "one");
  CHECK((range.elements[1].type == Type::String && range.elements[1].text.empty()));
  CHECK(range.elements[2].text == "three");

  // Streams (the cluster broker's transport): nested arrays.
  RedisReply id = h.call(*client, {"XADD", "stream", "*", "field", "value"});
  REQUIRE(id.type == Type::String);
  RedisReply entries = h.call(*client, {"XRANGE", "stream", "-", "+"});
  REQUIRE(entries.type == Type::Array);
  REQUIRE(entries.elements.size() == 1);
  const RedisReply& entry = entries.elements[0];
  REQUIRE((entry.type == Type::Array && entry.elements.size() == 2));
  CHECK(entry.elements[0].text == id.text);
  REQUIRE(entry.elements[1].elements.size() == 2);
  CHECK(entry.elements[1].elements[1].text == "value");

  RedisReply error = h.call(*client, {"INCR", "list"});
  CHECK(error.type == Type::Error);
  CHECK(contains(error.text, "WRONGTYPE"));
  CHECK_FALSE(error.ok());
  RedisReply unknown = h.call(*client, {"NO-SUCH-COMMAND"});
  CHECK(unknown.type == Type::Error);

  const RedisClient::Stats stats = client->stats();
  CHECK(stats.replies == 11);
  CHECK(stats.rtt_us > 0);
  CHECK(stats.pending_commands == 0);
  CHECK(stats.pending_bytes == 0);
  CHECK(stats.reconnects == 0);
  CHECK(events.disconnects.empty());
}

TEST_CASE("RedisClient connects over a unix socket", "[redis]") {
  Harness h(RedisProcess::Mode::Unix);
  REQUIRE(contains(h.redis.url(), "unix:///"));
  Events events;
  auto client = h.client(events);
  RedisReply pong = h.call(*client, {"PING"});
  CHECK(pong.type == Type::Status);
  CHECK(pong.text == "PONG");
  h.call(*client, {"SET", "k", "over unix"});
  CHECK(h.call(*client, {"GET", "k"}).text == "over unix");
}

TEST_CASE("RedisClient connects to an IPv6 literal", "[redis]") {
  RedisProcess redis(RedisProcess::Mode::Tcp6);
  if (!redis.start()) {
    WARN("skipped: " << redis.error());
    return;
  }
  EventLoop loop;
  Events events;
  RedisClient client(loop, address_of(redis), events.handlers(), quick_reconnects());
  client.start();
  REQUIRE(run_until(loop, [&] { return client.connected(); }));
  std::optional<RedisReply> reply;
  REQUIRE(client.command({"ECHO", "over IPv6"}, [&](RedisReply&& r) { reply = std::move(r); }));
  REQUIRE(run_until(loop, [&] { return reply.has_value(); }));
  CHECK(reply->text == "over IPv6");
}

TEST_CASE("RedisClient runs Lua scripts that return arrays", "[redis]") {
  Harness h;
  Events events;
  auto client = h.client(events);
  const std::string script = "redis.call('INCR', KEYS[1]); return {1, ARGV[1], redis.call('GET', KEYS[1])}";
  RedisReply result = h.call(*client, {"EVAL", script, "1", "lua-key", "two"});
  REQUIRE(result.type == Type::Array);
  REQUIRE(result.elements.size() == 3);
  CHECK((result.elements[0].type == Type::Integer && result.elements[0].integer == 1));
  CHECK(result.elements[1].text == "two");
  CHECK(result.elements[2].text == "1");

  RedisReply sha = h.call(*client, {"SCRIPT", "LOAD", script});
  REQUIRE(sha.type == Type::String);
  RedisReply again = h.call(*client, {"EVALSHA", sha.text, "1", "lua-key", "three"});
  REQUIRE(again.elements.size() == 3);
  CHECK(again.elements[2].text == "2");
  RedisReply failing = h.call(*client, {"EVAL", "return redis.error_reply('broker says no')", "0"});
  CHECK(failing.type == Type::Error);
  CHECK(contains(failing.text, "broker says no"));
}

TEST_CASE("RedisClient pipelines 10,000 commands: one reply each, in order", "[redis]") {
  Harness h;
  Events events;
  auto client = h.client(events);
  constexpr int kCommands = 10000;
  int replies = 0;
  int out_of_order = 0;
  for (int i = 1; i <= kCommands; ++i) {
    REQUIRE(client->command({"INCR", "pipelined"}, [&, i](RedisReply&& reply) {
      ++replies;
      if (reply.type != Type::Integer || reply.integer != i) ++out_of_order;
    }));
  }
  CHECK(client->stats().pending_commands == kCommands);
  REQUIRE(run_until(h.loop, [&] { return replies == kCommands; }));
  run_for(h.loop, 50);  // nothing answered twice
  CHECK(replies == kCommands);
  CHECK(out_of_order == 0);
  CHECK(client->stats().pending_commands == 0);
  CHECK(client->stats().replies == kCommands);
}

TEST_CASE("RedisClient subscribers get published messages until they unsubscribe", "[redis]") {
  Harness h;
  Events pub_events;
  Events sub_events;
  auto publisher = h.client(pub_events);
  // Subscribed before start: on_connected waits for the confirmations. A short
  // command timeout: every SUBSCRIBE and UNSUBSCRIBE must count as answered.
  RedisClientOptions sub_options = quick_reconnects();
  sub_options.command_timeout_ms = 200;
  auto subscriber = h.client(sub_events, sub_options, {"news", "marker"});
  CHECK(subscriber->subscribe("news"));  // idempotent
  CHECK(subscriber->subscription_count() == 2);
  CHECK_FALSE(subscriber->subscribe(""));
  CHECK_FALSE(subscriber->subscribe(std::string(kMaxRedisChannelBytes + 1, 'c')));
  CHECK_FALSE(subscriber->command({"PING"}, [](RedisReply&&) {}));  // a subscriber does nothing else

  const std::string payload("binary\0payload\xff", 15);
  CHECK(h.call(*publisher, {"PUBLISH", "news", payload}).integer == 1);
  REQUIRE(run_until(h.loop, [&] { return sub_events.messages.size() == 1; }));
  CHECK(sub_events.messages[0] == std::make_pair(std::string("news"), payload));

  // A channel subscribed while connected works too.
  CHECK(subscriber->subscribe("late"));
  REQUIRE(h.eventually([&] { return h.call(*publisher, {"PUBSUB", "NUMSUB", "late"}).elements.at(1).integer == 1; }));

  CHECK(subscriber->unsubscribe("news"));
  CHECK(subscriber->unsubscribe("news"));  // idempotent
  CHECK(subscriber->subscription_count() == 2);
  REQUIRE(h.eventually([&] { return h.call(*publisher, {"PUBSUB", "NUMSUB", "news"}).elements.at(1).integer == 0; }));
  // Published in this order on one connection: "done" arriving proves "dropped" was not delivered.
  CHECK(h.call(*publisher, {"PUBLISH", "news", "dropped"}).integer == 0);
  h.call(*publisher, {"PUBLISH", "late", "done"});
  REQUIRE(run_until(h.loop, [&] { return sub_events.messages.size() == 2; }));
  CHECK(sub_events.messages[1] == std::make_pair(std::string("late"), std::string("done")));
  run_for(h.loop, 400);  // twice the command timeout: no confirmation is still awaited
  CHECK(sub_events.messages.size() == 2);
  CHECK(sub_events.disconnects.empty());
  CHECK(sub_events.connects == 1);
}

TEST_CASE("RedisClient refuses commands it cannot pair with replies", "[redis]") {
  Harness h;
  Events events;
  RedisClient idle(h.loop, address_of(h.redis), events.handlers(), quick_reconnects());
  CHECK_FALSE(idle.connected());
  CHECK_FALSE(idle.command({"PING"}, [](RedisReply&&) {}));  // not started

  auto client = h.client(events);
  int called = 0;
  const auto count = [&](RedisReply&&) { ++called; };
  CHECK_FALSE(client->command({}, count));
  CHECK_FALSE(client->command({"subscribe", "x"}, count));
  CHECK_FALSE(client->command({"MONITOR"}, count));
  CHECK_FALSE(client->command({"HELLO", "3"}, count));
  CHECK_FALSE(client->command({"CLIENT", "REPLY", "OFF"}, count));
  CHECK(client->command({"CLIENT", "SETNAME", "tether"}, count));
  REQUIRE(run_until(h.loop, [&] { return called == 1; }));
}

TEST_CASE("RedisClient refuses host names without blocking, and keeps retrying", "[redis]") {
  EventLoop loop;
  Events events;
  RedisClientOptions options = quick_reconnects();
  RedisClient client(loop, RedisAddress{"redis.example", 6379, ""}, events.handlers(), options);
  client.start();
  client.start();  // idempotent
  REQUIRE(run_until(loop, [&] { return events.disconnects.size() >= 2; }));
  CHECK(contains(events.disconnects[0], "not an IP address"));
  CHECK(events.connects == 0);
}

}  // namespace
}  // namespace tether::transport
