#pragma once
// The real tether-server binary as a child process (tests only).
//
// On Windows (the suites cross-built for Wine) the server is a Linux binary
// that a Windows process cannot start or signal, so the tether-server runs
// on the Linux side: tether-test-server-agent (server_agent.cpp) starts,
// kills and reads it on request, over a loopback connection named by
// TETHER_TEST_SERVER_AGENT=PORT. The calls below mean the same either way.
//
// CMake: link tether::test_support and call tether_use_server_binary(<target>);
// that builds tether-server first and defines TETHER_SERVER_PATH, which this
// header turns into kServerBinary.
//
//   ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
//   REQUIRE(server.start());                 // waits for the startup line
//   TestClient client(loop, server.url(), mint_token("alice"));
//   ...
//   server.kill();  REQUIRE(server.restart());   // same port
//   CHECK(server.stop() == 0);               // SIGTERM: graceful, exit code
#include <cstdint>
#include <string>
#include <vector>

#include "child_process.h"
#include "loopback_socket.h"

namespace tether::test_support {

#ifdef TETHER_SERVER_PATH
// The tether-server built with this tree (set by tether_use_server_binary()).
constexpr const char* kServerBinary = TETHER_SERVER_PATH;
#endif

// Covers a cold start on a loaded machine; a healthy start takes milliseconds.
constexpr int64_t kServerStartTimeoutMs = 30000;
constexpr int64_t kServerStopTimeoutMs = 10000;

class ServerProcess {
 public:
  // `args` are tether-server's arguments, except --listen: the server
  // listens on 127.0.0.1, on `port` (0 = ephemeral, then kept for restarts).
  ServerProcess(std::string binary, std::vector<std::string> args, uint16_t port = 0);
  ~ServerProcess();  // kills the server if it still runs
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Spawns the server and waits for "tether-server listening on <url>".
  // False if it exits or stays silent; error() says why.
  bool start(int64_t timeout_ms = kServerStartTimeoutMs);
  // start() again on the port of the last start (after stop() or kill()).
  bool restart(int64_t timeout_ms = kServerStartTimeoutMs);

  // SIGTERM and wait: returns the exit code (0 = graceful shutdown), or -1
  // if it did not exit in time (it is then killed).
  int stop(int64_t timeout_ms = kServerStopTimeoutMs);
  // SIGTERM without waiting, for tests that run their own loop meanwhile;
  // then poll has_exited() and read exit_code().
  bool terminate();
  bool has_exited();
  int exit_code() const;
  void kill();  // SIGKILL and reap: a crash

  uint16_t port() const { return port_; }
  const std::string& url() const { return url_; }  // ws://127.0.0.1:PORT or wss://...
  const std::string& startup_line() const { return startup_line_; }
  const std::string& error() const { return error_; }
  int pid() const;

  // The server's stderr log, one entry per line, across restarts.
  std::vector<std::string> log_lines() const;
  bool log_contains(const std::string& needle) const;
  // Blocks this thread (not an EventLoop) until a log line contains `needle`.
  bool wait_for_log(const std::string& needle, int64_t timeout_ms = kServerStartTimeoutMs);

 private:
  // Takes "<program> listening on <url>": sets url_ and port_, or error_.
  bool take_startup_line(const std::string& line);

  std::string binary_;
  std::vector<std::string> args_;
  uint16_t port_;
  std::string url_;
  std::string startup_line_;
  std::string error_;
#ifdef _WIN32
  // One agent call: sends `request`, returns the answer's fields after "ok"
  // (false with error_ set on "error" or a lost agent).
  bool call_agent(const std::string& request, std::vector<std::string>& answer, int64_t timeout_ms) const;
  mutable LoopbackSocket agent_;  // one connection per server; closing it kills the server
  mutable std::string agent_error_;
  mutable int exit_code_ = -1;
  int pid_ = -1;
#else
  ChildProcess child_;
#endif
};

// Runs tether-server (or any program) to completion, for --help and bad
// arguments. exit_code is -1 if it had to be killed after `timeout_ms`.
struct ProcessResult {
  int exit_code = -1;
  std::vector<std::string> stdout_lines;
  std::vector<std::string> stderr_lines;
  std::string error;  // why it could not be started
};
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          int64_t timeout_ms = kServerStartTimeoutMs);

}  // namespace tether::test_support
