#include "redis_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <utility>
#include <vector>

namespace tether::test_support {

namespace {

constexpr int kPortAttempts = 5;
constexpr int64_t kLogPollMs = 5;
// "Ready to accept connections" (TCP), or "... now ready to accept connections
// at PATH" (Redis 7.0 with only a unix socket).
constexpr const char* kReadyMarker = "eady to accept connections";
constexpr const char* kPortTakenMarker = "Address already in use";

// A port nobody listens on right now. Another process may still take it
// before redis binds it; start() then retries with another.
uint16_t free_loopback_port(bool ipv6) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (ipv6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    address->sin6_addr = in6addr_loopback;
    length = sizeof *address;
  } else {
    auto* address = reinterpret_cast<sockaddr_in*>(&storage);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof *address;
  }
  uint16_t port = 0;
  auto* address = reinterpret_cast<sockaddr*>(&storage);
  if (::bind(fd, address, length) == 0 && ::getsockname(fd, address, &length) == 0) {
    port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  ::close(fd);
  return port;
}

bool any_contains(const std::vector<std::string>& lines, size_t from, const char* needle) {
  for (size_t i = from; i < lines.size(); ++i) {
    if (lines[i].find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

RedisProcess::RedisProcess(Mode mode, std::string binary) : mode_(mode), binary_(std::move(binary)) {}

RedisProcess::~RedisProcess() {
  child_.kill();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::string RedisProcess::url() const {
  if (mode_ == Mode::Unix) return "unix://" + unix_path_;
  return (mode_ == Mode::Tcp6 ? "redis://[::1]:" : "redis://127.0.0.1:") + std::to_string(port_);
}

bool RedisProcess::start(int64_t timeout_ms) {
  error_.clear();
  if (child_.running()) {
    error_ = "already running";
    return false;
  }
  if (dir_.empty()) {
    char pattern[] = "/tmp/tether-redis-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      error_ = "mkdtemp failed";
      return false;
    }
    dir_ = pattern;
    if (mode_ == Mode::Unix) unix_path_ = dir_ + "/redis.sock";
  }
  const bool pick_port = mode_ != Mode::Unix && port_ == 0;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    if (pick_port) port_ = free_loopback_port(mode_ == Mode::Tcp6);
    if (pick_port && port_ == 0) {
      error_ = mode_ == Mode::Tcp6 ? "no IPv6 loopback (::1)" : "no free port on 127.0.0.1";
      return false;
    }
    bool port_taken = false;
    if (spawn_and_wait(timeout_ms, port_taken)) return true;
    if (!pick_port || !port_taken) return false;
  }
  return false;
}

bool RedisProcess::restart(int64_t timeout_ms) { return start(timeout_ms); }

bool RedisProcess::spawn_and_wait(int64_t timeout_ms, bool& port_taken) {
  std::vector<std::string> args = {"--save", "", "--appendonly", "no", "--dir", dir_, "--daemonize", "no"};
  if (mode_ == Mode::Unix) {
    args.insert(args.end(), {"--port", "0", "--unixsocket", unix_path_, "--unixsocketperm", "700"});
  } else {
    args.insert(args.end(), {"--port", std::to_string(port_), "--bind", mode_ == Mode::Tcp6 ? "::1" : "127.0.0.1"});
  }
  // Lines accumulate across spawns: only this spawn's count.
  const size_t first_line = child_.stdout_lines().size();
  if (!child_.spawn(binary_, args, error_)) return false;

  // Redis logs to stdout; ChildProcess has no wait for stdout, so poll it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const std::vector<std::string> lines = child_.stdout_lines();
    if (any_contains(lines, first_line, kReadyMarker)) return true;
    if (!child_.running()) {
      const std::vector<std::string> after_exit = child_.stdout_lines();
      port_taken = any_contains(after_exit, first_line, kPortTakenMarker);
      error_ = "redis-server exited (code " + std::to_string(child_.exit_code()) + ")";
      for (size_t i = first_line; i < after_exit.size(); ++i) error_ += "\n  " + after_exit[i];
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      child_.kill();
      error_ = "redis-server not ready within " + std::to_string(timeout_ms) + " ms";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kLogPollMs));
  }
}

int RedisProcess::stop(int64_t timeout_ms) {
  if (!child_.send_signal(SIGCONT) || !child_.send_signal(SIGTERM)) return child_.exit_code();
  if (child_.wait_exit(timeout_ms)) return child_.exit_code();
  child_.kill();
  return -1;
}

void RedisProcess::kill() { child_.kill(); }

bool RedisProcess::pause() { return child_.send_signal(SIGSTOP); }

bool RedisProcess::resume() { return child_.send_signal(SIGCONT); }

}  // namespace tether::test_support
