#pragma once
// A Redis client on the EventLoop: hiredis's async API, its socket watched by
// Asio, so no thread and no blocking call per connection. It reconnects by
// itself and bounds what it buffers. Server side only: tether_redis is a
// separate target, so libtether never depends on hiredis.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/event_loop.h"

namespace tether::transport {

// One RESP reply, as plain data (no hiredis types leak out).
struct RedisReply {
  enum class Type : uint8_t { None, Nil, Integer, String, Status, Error, Array };
  Type type = Type::None;            // None: no reply (connection lost or timed out first)
  int64_t integer = 0;               // Integer
  std::string text;                  // String (binary-safe), Status, Error (the error text)
  std::vector<RedisReply> elements;  // Array
  bool ok() const { return type != Type::None && type != Type::Error; }
};

// Where the server is. `host` must be an IP literal: hiredis resolves names
// with a blocking getaddrinfo on the loop thread, so names are refused
// (parse_redis_url maps "localhost" to 127.0.0.1 for convenience). A client
// given any other name fails every connect attempt with that reason.
struct RedisAddress {
  std::string host;       // IPv4 or IPv6 literal (no brackets)
  uint16_t port = 6379;
  std::string unix_path;  // non-empty: this unix socket instead of TCP (POSIX only)
};

// Parses "redis://HOST[:PORT][/]" (HOST an IPv4 literal, "[IPv6]" or
// "localhost"), and "unix:///abs/path" or "redis+unix:///abs/path". Not
// supported, and refused with a reason: other host names, user or password,
// a database number other than 0, query strings.
// Returns "" on success, else why the URL is not usable (`out` is then unchanged).
std::string parse_redis_url(std::string_view url, RedisAddress& out);
// "redis://127.0.0.1:6379", "redis://[::1]:6379" or "unix:///path", for logs.
std::string to_string(const RedisAddress& address);

struct RedisClientOptions {
  // TCP connect plus the first round trip (PING, or re-subscribing) that
  // proves the server answers; a server that accepts but hangs fails here.
  int64_t connect_timeout_ms = 2000;
  // If the oldest unanswered command (or subscription change) is older than
  // this, the connection is dead: it is dropped (every pending ReplyFn gets
  // Type::None) and reconnected. Blocking commands (BLPOP, XREAD BLOCK) must
  // block for less than this.
  int64_t command_timeout_ms = 2000;
  // Reconnect delays grow from min towards max (about doubling, randomised so
  // that many servers do not reconnect in step), and start again at min once a
  // connection has stayed up for reconnect_max_ms.
  int64_t reconnect_min_ms = 100;
  int64_t reconnect_max_ms = 2000;
  // command() refuses (returns false) beyond these: every buffer has a limit.
  size_t max_pending_commands = 65536;
  size_t max_pending_bytes = 64u << 20;  // argv bytes of commands not yet answered
};

// Returns nullptr if `options` are usable, else a static description of the
// first problem. RedisClient clamps unusable values instead of failing.
const char* validate(const RedisClientOptions& options);

// Channel names longer than this are refused by subscribe().
inline constexpr size_t kMaxRedisChannelBytes = 64 * 1024;

// Called on the loop thread, never from inside a RedisClient call, and never
// after the RedisClient is destroyed. They may call back into the client,
// including destroying it.
struct RedisClientHandlers {
  // Connected and usable: the server answered (a PING, or the confirmations of
  // every re-sent SUBSCRIBE, so messages published from now on arrive).
  std::function<void()> on_connected;
  // A connection was lost, or a connect attempt failed: once each. The client
  // reconnects by itself. Pending ReplyFns have all had Type::None by then.
  std::function<void(std::string_view why)> on_disconnected;
  // A pub/sub message on a subscribed channel; both views valid only during the call.
  std::function<void(std::string_view channel, std::string_view message)> on_message;
  // Redis confirmed a SUBSCRIBE (also each one re-sent after a reconnect):
  // what is published on `channel` from now on arrives.
  std::function<void(std::string_view channel)> on_subscribed;
};

// Lifetime: destroy it before its EventLoop. Thread safety: construct, call
// and destroy on the loop thread.
class RedisClient {
 public:
  // Runs exactly once per accepted command, on the loop thread: with the reply,
  // or with Type::None if the connection is lost (or times out) first.
  using ReplyFn = std::function<void(RedisReply&& reply)>;

  RedisClient(EventLoop& loop, RedisAddress address, RedisClientHandlers handlers,
              RedisClientOptions options = {});
  // Drops the connection. No handler and no pending ReplyFn runs afterwards,
  // nor during. Safe anywhere on the loop thread, including inside this
  // client's own callbacks (the rest of that callback's batch is dropped).
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Starts connecting (on a later loop turn). Idempotent.
  void start() noexcept;
  // True while usable: from (just before) on_connected until the connection
  // is lost, which may be noticed before on_disconnected runs.
  bool connected() const noexcept;

  // Sends one command (binary-safe argv, copied). Returns false, and never
  // calls `on_reply`, if: not connected(); max_pending_commands or
  // max_pending_bytes would be exceeded; this client has used subscribe();
  // argv is empty; or argv names a command that would desynchronise replies
  // and callbacks (SUBSCRIBE and the other pub/sub commands, which go through
  // subscribe(); MONITOR; HELLO, since hiredis 0.14 speaks only RESP2; SYNC,
  // PSYNC; CLIENT REPLY). Otherwise `on_reply` runs exactly once, later.
  // Replies arrive in command order.
  bool command(std::vector<std::string> argv, ReplyFn on_reply) noexcept;

  // Subscriber mode: a client that calls subscribe() is used for nothing else
  // (command() then returns false). The channel set is remembered and
  // re-subscribed after every reconnect, before on_connected. Both are
  // idempotent and work while disconnected. They return false only if the
  // channel is empty or longer than kMaxRedisChannelBytes (or out of memory).
  bool subscribe(std::string_view channel) noexcept;
  bool unsubscribe(std::string_view channel) noexcept;
  size_t subscription_count() const noexcept;

  // For /metrics.
  struct Stats {
    uint64_t replies = 0;         // command replies received (not counting Type::None)
    uint64_t reconnects = 0;      // times a connection came up again after the first
    double rtt_us = 0;            // smoothed command round trip (queueing included); 0 until measured
    size_t pending_commands = 0;  // accepted, not yet answered
    size_t pending_bytes = 0;     // their argv bytes
  };
  Stats stats() const noexcept;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace tether::transport
