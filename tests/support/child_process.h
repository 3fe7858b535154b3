#pragma once
// A child process with its stdout and stderr captured line by line (POSIX;
// tests only). A reader thread drains both pipes, so a chatty child never
// blocks on a full pipe. The destructor kills and reaps the child.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tether::test_support {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Runs `program` with `args` (stdin is /dev/null). False if it could not
  // be started; `error` says why. An exec failure shows up as exit code 127.
  bool spawn(const std::string& program, const std::vector<std::string>& args, std::string& error);

  bool running();                        // started and not yet exited (reaps it if it has)
  bool send_signal(int signal_number);   // false if not running
  bool wait_exit(int64_t timeout_ms);    // true once exited
  void kill();                           // SIGKILL, then reap; no-op if not running
  // -1 while running or never started; the exit code; 128 + signal if killed by one.
  int exit_code() const { return exit_code_; }
  int pid() const { return pid_; }

  // The first stdout line of the latest spawn, waiting up to `timeout_ms`;
  // false if none came (timeout, or stdout closed first).
  bool wait_first_stdout_line(std::string& line, int64_t timeout_ms);
  // Waits until a stderr line contains `needle`.
  bool wait_stderr_contains(const std::string& needle, int64_t timeout_ms);
  // Snapshots, safe while the child runs. Lines accumulate across spawns.
  std::vector<std::string> stdout_lines() const;
  std::vector<std::string> stderr_lines() const;

 private:
  void read_output(int out_fd, int err_fd);
  void reap(bool block);
  void join_reader();

  int pid_ = -1;
  int exit_code_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> stdout_lines_;  // guarded by mutex_, like the rest below
  std::vector<std::string> stderr_lines_;
  bool stdout_closed_ = true;
  size_t first_stdout_line_ = 0;  // index of the latest spawn's first stdout line
};

}  // namespace tether::test_support
