// What every platform shares: the captured lines and the waits on them.
// Starting, reaping and killing the child are in child_process_posix.cpp and
// child_process_win32.cpp.
#include "child_process.h"

#include <chrono>

namespace tether::test_support {

namespace {
constexpr int kReapPollMs = 2;
}  // namespace

ChildProcess::~ChildProcess() { kill(); }

void ChildProcess::add_output(bool is_stdout, const char* bytes, size_t size, std::string& pending) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string>& lines = is_stdout ? stdout_lines_ : stderr_lines_;
  pending.append(bytes, size);
  size_t start = 0;
  for (size_t newline; (newline = pending.find('\n', start)) != std::string::npos; start = newline + 1) {
    size_t end = newline;
    if (end > start && pending[end - 1] == '\r') --end;  // a Windows child's "\r\n"
    lines.emplace_back(pending, start, end - start);
  }
  pending.erase(0, start);
  changed_.notify_all();
}

void ChildProcess::output_closed(bool is_stdout) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (is_stdout) stdout_closed_ = true;
  changed_.notify_all();
}

bool ChildProcess::running() {
  reap(false);
  return pid_ > 0;
}

bool ChildProcess::wait_exit(int64_t timeout_ms) {
  // Polls the child's state: portable, and the wait ends as soon as the child does.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kReapPollMs));
  }
  return true;
}

bool ChildProcess::wait_first_stdout_line(std::string& line, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                    [this] { return stdout_lines_.size() > first_stdout_line_ || stdout_closed_; });
  if (stdout_lines_.size() <= first_stdout_line_) return false;
  line = stdout_lines_[first_stdout_line_];
  return true;
}

bool ChildProcess::wait_stderr_contains(const std::string& needle, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    for (const std::string& line : stderr_lines_) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  });
}

std::vector<std::string> ChildProcess::stdout_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stdout_lines_;
}

std::vector<std::string> ChildProcess::stderr_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stderr_lines_;
}

}  // namespace tether::test_support
