#pragma once
// What the RedisClient tests share: a real redis-server (RedisProcess) and
// the loop its clients run on, and a record of what a client's handlers
// reported. Tests only.
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

namespace tether::transport::redis_test {

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

inline RedisClientOptions quick_reconnects() {
  RedisClientOptions options;
  options.reconnect_min_ms = 20;
  options.reconnect_max_ms = 200;
  return options;
}

inline RedisAddress address_of(const RedisProcess& redis) {
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

inline bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

inline int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace tether::transport::redis_test
