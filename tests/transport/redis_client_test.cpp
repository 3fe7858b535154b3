// RedisClient against a real redis-server (127.0.0.1 on an ephemeral port, or
// a unix socket; never 6379): replies, pub/sub, pipelining, a server that is
// killed or hangs, the pending bounds, and destruction at awkward moments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis_process.h"
#include "run_until.h"
#include "transport/event_loop.h"
#include "transport/redis_client.h"

namespace tether::transport {
namespace {

using test_support::RedisProcess;
using test_support::run_for;
using test_support::run_until;
using Type = RedisReply::Type;

// What a client's handlers reported.
struct Events {
  int connects = 0;
  std::vector<std::string> disconnects;
  std::vector<std::pair<std::string, std::string>> messages;
  std::vector<std::string> subscribed;  // each SUBSCRIBE Redis confirmed

  RedisClientHandlers handlers() {
    RedisClientHandlers handlers;
    handlers.on_connected = [this] { ++connects; };
    handlers.on_disconnected = [this](std::string_view why) { disconnects.emplace_back(why); };
    handlers.on_message = [this](std::string_view channel, std::string_view message) {
      messages.emplace_back(channel, message);
    };
    handlers.on_subscribed = [this](std::string_view channel) { subscribed.emplace_back(channel); };
    return handlers;
  }
};

RedisClientOptions quick_reconnects() {
  RedisClientOptions options;
  options.reconnect_min_ms = 20;
  options.reconnect_max_ms = 200;
  return options;
}

RedisAddress address_of(const RedisProcess& redis) {
  RedisAddress address;
  REQUIRE(parse_redis_url(redis.url(), address) == "");
  return address;
}

// A running redis-server and the loop the clients use. Declare clients (and
// their Events) after it, so they are destroyed first.
struct Harness {
  explicit Harness(RedisProcess::Mode mode = RedisProcess::Mode::Tcp) : redis(mode) {
    const bool started = redis.start();
    INFO(redis.error());
    REQUIRE(started);
  }

  std::unique_ptr<RedisClient> client(Events& events, RedisClientOptions options = quick_reconnects(),
                                      const std::vector<std::string>& channels = {}) {
    auto made = std::make_unique<RedisClient>(loop, address_of(redis), events.handlers(), options);
    for (const std::string& channel : channels) REQUIRE(made->subscribe(channel));
    made->start();
    REQUIRE(run_until(loop, [&] { return made->connected(); }));
    return made;
  }

  // One command, waiting for its reply.
  RedisReply call(RedisClient& client, std::vector<std::string> argv) {
    std::optional<RedisReply> reply;
    REQUIRE(client.command(std::move(argv), [&](RedisReply&& r) { reply = std::move(r); }));
    REQUIRE(run_until(loop, [&] { return reply.has_value(); }));
    return std::move(*reply);
  }

  // Repeats `check` (which may itself call()) until it holds, for state only
  // the server can tell (PUBSUB NUMSUB, INFO).
  bool eventually(const std::function<bool()>& check) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(test_support::kDeadlineMs);
    while (!check()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      run_for(loop, 10);
    }
    return true;
  }

  EventLoop loop;
  RedisProcess redis;
};

bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

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
