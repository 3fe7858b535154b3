// ServerProcess as a local child process (POSIX).
#include <signal.h>

#include "server_process.h"

namespace tether::test_support {

namespace {

std::string last_lines(const std::vector<std::string>& lines, size_t count) {
  std::string text;
  for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) text += lines[i] + "\n";
  return text;
}

}  // namespace

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
  if (!take_startup_line(line)) {
    child_.kill();
    return false;
  }
  return true;
}

int ServerProcess::stop(int64_t timeout_ms) {
  if (!terminate()) return child_.exit_code();
  if (child_.wait_exit(timeout_ms)) return child_.exit_code();
  child_.kill();
  return -1;
}

bool ServerProcess::terminate() { return child_.send_signal(SIGTERM); }
bool ServerProcess::has_exited() { return !child_.running(); }
int ServerProcess::exit_code() const { return child_.exit_code(); }
void ServerProcess::kill() { child_.kill(); }
int ServerProcess::pid() const { return child_.pid(); }
std::vector<std::string> ServerProcess::log_lines() const { return child_.stderr_lines(); }

bool ServerProcess::wait_for_log(const std::string& needle, int64_t timeout_ms) {
  return child_.wait_stderr_contains(needle, timeout_ms);
}

}  // namespace tether::test_support
