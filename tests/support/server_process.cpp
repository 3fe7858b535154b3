// What every platform shares: the startup line, restarts, run_process.
// The server itself is a local child (server_process_child.cpp) or, on
// Windows, a Linux process run by the agent (server_process_agent.cpp).
#include "server_process.h"

#include <charconv>
#include <string_view>
#include <utility>

namespace tether::test_support {

namespace {

// "<program> listening on <url>": tether-server, or a server embedding it.
constexpr std::string_view kStartupMarker = " listening on ";

// "ws://127.0.0.1:PORT" -> PORT; 0 if it is not a URL with a port.
uint16_t port_of(const std::string& url) {
  const size_t colon = url.rfind(':');
  if (colon == std::string::npos) return 0;
  uint16_t port = 0;
  const char* end = url.data() + url.size();
  const auto parsed = std::from_chars(url.data() + colon + 1, end, port);
  return parsed.ec == std::errc() && parsed.ptr == end ? port : 0;
}

}  // namespace

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> args, uint16_t port)
    : binary_(std::move(binary)), args_(std::move(args)), port_(port) {}

ServerProcess::~ServerProcess() { kill(); }

bool ServerProcess::take_startup_line(const std::string& line) {
  startup_line_ = line;
  const size_t marker = line.find(kStartupMarker);
  const uint16_t port = marker != std::string::npos ? port_of(line) : 0;
  if (port == 0) {
    error_ = "unexpected startup line: " + line;
    return false;
  }
  url_ = line.substr(marker + kStartupMarker.size());
  port_ = port;
  return true;
}

bool ServerProcess::restart(int64_t timeout_ms) {
  if (!has_exited()) {
    error_ = "still running";
    return false;
  }
  return start(timeout_ms);
}

bool ServerProcess::log_contains(const std::string& needle) const {
  for (const std::string& line : log_lines()) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args, int64_t timeout_ms) {
  ProcessResult result;
  ChildProcess child;
  if (!child.spawn(program, args, result.error)) return result;
  if (child.wait_exit(timeout_ms)) {
    result.exit_code = child.exit_code();
  } else {
    child.kill();
    result.error = "did not exit within " + std::to_string(timeout_ms) + " ms";
  }
  result.stdout_lines = child.stdout_lines();
  result.stderr_lines = child.stderr_lines();
  return result;
}

}  // namespace tether::test_support
