#pragma once
// A child process with its stdout and stderr captured line by line (tests
// only). Reader threads drain both pipes, so a chatty child never blocks on a
// full pipe. The destructor kills and reaps the child.
//
// child_process.cpp holds what every platform shares (the lines and the
// waits); child_process_posix.cpp (fork/exec, signals) and
// child_process_win32.cpp (CreateProcess; "killed" means TerminateProcess,
// reported as exit code 128 + 9) start and stop the child.
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

  // Runs `program` with `args` (stdin is /dev/null, or NUL on Windows). False if it could not
  // be started; `error` says why. An exec failure shows up as exit code 127.
  bool spawn(const std::string& program, const std::vector<std::string>& args, std::string& error);

  bool running();                        // started and not yet exited (reaps it if it has)
  bool send_signal(int signal_number);   // false if not running (Windows: none, always false)
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
  // Collects one pipe's lines until it closes (the stdout one records that).
  void add_output(bool is_stdout, const char* bytes, size_t size, std::string& pending);
  void output_closed(bool is_stdout);
  void reap(bool block);
  void join_reader();

  int pid_ = -1;
  int exit_code_ = -1;
#ifdef _WIN32
  void* process_ = nullptr;  // the child's HANDLE
  std::thread error_reader_;  // Windows pipes cannot be polled: one thread per pipe
#endif
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> stdout_lines_;  // guarded by mutex_, like the rest below
  std::vector<std::string> stderr_lines_;
  bool stdout_closed_ = true;
  size_t first_stdout_line_ = 0;  // index of the latest spawn's first stdout line
};

}  // namespace tether::test_support
