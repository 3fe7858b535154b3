#include "server_process.h"

#include <signal.h>

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

std::string last_lines(const std::vector<std::string>& lines, size_t count) {
  std::string text;
  for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) text += lines[i] + "\n";
  return text;
}

}  // namespace

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> args, uint16_t port)
    : binary_(std::move(binary)), args_(std::move(args)), port_(port) {}

ServerProcess::~ServerProcess() { kill(); }

bool ServerProcess::start(int64_t timeout_ms) {
  error_.clear();
  startup_line_.clear();
  url_.clear();
  if (binary_.empty()) {
    error_ = "no tether-server binary (use tether_use_server_binary() in CMake)";
    return false;
  }
  std::vector<std::string> args = args_;
  args.push_back("--listen");
  args.push_back("127.0.0.1:" + std::to_string(port_));
  if (!child_.spawn(binary_, args, error_)) return false;

  std::string line;
  if (!child_.wait_first_stdout_line(line, timeout_ms)) {
    child_.kill();
    error_ = "no startup line within " + std::to_string(timeout_ms) + " ms (exit code " +
             std::to_string(child_.exit_code()) + "); log:\n" + last_lines(child_.stderr_lines(), 10);
    return false;
  }
  startup_line_ = line;
  const size_t marker = line.find(kStartupMarker);
  const uint16_t port = marker != std::string::npos ? port_of(line) : 0;
  if (port == 0) {
    child_.kill();
    error_ = "unexpected startup line: " + line;
    return false;
  }
  url_ = line.substr(marker + kStartupMarker.size());
  port_ = port;
  return true;
}

bool ServerProcess::restart(int64_t timeout_ms) {
  if (child_.running()) {
    error_ = "still running";
    return false;
  }
  return start(timeout_ms);
}

int ServerProcess::stop(int64_t timeout_ms) {
  if (!terminate()) return child_.exit_code();
  if (child_.wait_exit(timeout_ms)) return child_.exit_code();
  child_.kill();
  return -1;
}

bool ServerProcess::terminate() { return child_.send_signal(SIGTERM); }

void ServerProcess::kill() { child_.kill(); }

bool ServerProcess::log_contains(const std::string& needle) const {
  for (const std::string& line : child_.stderr_lines()) {
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
