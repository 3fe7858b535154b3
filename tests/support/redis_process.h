#pragma once
// A real redis-server as a child process (POSIX; tests only), in a temporary
// directory of its own, listening on an ephemeral 127.0.0.1 (or ::1) port or
// on a unix socket in that directory. Never port 6379, so a system Redis is left
// alone. Independent of hiredis: it only runs the binary.
//
//   RedisProcess redis;                    // or RedisProcess(RedisProcess::Mode::Unix)
//   REQUIRE(redis.start());                // waits for "Ready to accept connections"
//   ... connect to redis.url() ...
//   redis.pause(); redis.resume();         // SIGSTOP / SIGCONT: a hung server
//   redis.kill();  REQUIRE(redis.restart());   // same port or socket path
#include <cstdint>
#include <string>

#include "child_process.h"

namespace tether::test_support {

constexpr const char* kRedisServerBinary = "/usr/bin/redis-server";
constexpr int64_t kRedisStartTimeoutMs = 20000;
constexpr int64_t kRedisStopTimeoutMs = 10000;

class RedisProcess {
 public:
  enum class Mode { Tcp, Tcp6, Unix };  // Tcp6: ::1 (start() fails without IPv6 loopback)

  explicit RedisProcess(Mode mode = Mode::Tcp, std::string binary = kRedisServerBinary);
  ~RedisProcess();  // kills the server and removes its directory
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  // Spawns the server and waits until it accepts connections. On the first
  // start a TCP server gets a free ephemeral port (retried a few times if
  // another process takes it first). False on failure; error() says why.
  bool start(int64_t timeout_ms = kRedisStartTimeoutMs);
  // start() again on the same port or socket path (after stop() or kill()).
  bool restart(int64_t timeout_ms = kRedisStartTimeoutMs);
  // SIGTERM and wait: the exit code, or -1 if it had to be killed.
  int stop(int64_t timeout_ms = kRedisStopTimeoutMs);
  void kill();    // SIGKILL and reap: a crash
  bool pause();   // SIGSTOP: connections stay open, nothing is answered
  bool resume();  // SIGCONT

  bool running() { return child_.running(); }
  uint16_t port() const { return port_; }                 // 0 in unix mode
  const std::string& unix_path() const { return unix_path_; }  // empty in TCP mode
  std::string url() const;  // "redis://127.0.0.1:PORT", "redis://[::1]:PORT" or "unix:///PATH"
  const std::string& error() const { return error_; }
  std::vector<std::string> log_lines() const { return child_.stdout_lines(); }

 private:
  bool spawn_and_wait(int64_t timeout_ms, bool& port_taken);

  Mode mode_;
  std::string binary_;
  std::string dir_;  // mkdtemp'd on the first start
  uint16_t port_ = 0;
  std::string unix_path_;
  std::string error_;
  ChildProcess child_;
};

}  // namespace tether::test_support
