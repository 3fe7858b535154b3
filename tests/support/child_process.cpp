#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstring>

namespace tether::test_support {

namespace {

constexpr int kReapPollMs = 2;

// pipe2() is not on every POSIX system. Setting FD_CLOEXEC afterwards is racy
// only against a concurrent fork elsewhere in the test process.
bool cloexec_pipe(int fds[2]) {
  if (::pipe(fds) != 0) return false;
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Appends `chunk` to `pending`, moving complete lines into `lines`.
void split_lines(std::string& pending, const char* chunk, size_t size, std::vector<std::string>& lines) {
  pending.append(chunk, size);
  size_t start = 0;
  for (size_t newline; (newline = pending.find('\n', start)) != std::string::npos; start = newline + 1) {
    lines.emplace_back(pending, start, newline - start);
  }
  pending.erase(0, start);
}

}  // namespace

ChildProcess::~ChildProcess() { kill(); }

bool ChildProcess::spawn(const std::string& program, const std::vector<std::string>& args, std::string& error) {
  if (pid_ > 0) {
    error = "already running";
    return false;
  }
  join_reader();
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // O_CLOEXEC everywhere: other children must not inherit our pipe ends, or
  // the reader would never see end-of-file.
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0 || !cloexec_pipe(out_pipe) || !cloexec_pipe(err_pipe)) {
    error = std::string("pipe: ") + std::strerror(errno);
    for (int fd : {null_fd, out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return false;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphaned servers if the test runner dies
    if (::getppid() != parent) ::_exit(126);
#endif
    (void)parent;
    ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execv(program.c_str(), argv.data());
    static const char message[] = "exec failed\n";
    (void)!::write(2, message, sizeof message - 1);
    ::_exit(127);
  }
  ::close(null_fd);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return false;
  }
  pid_ = pid;
  exit_code_ = -1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stdout_closed_ = false;
    first_stdout_line_ = stdout_lines_.size();
  }
  reader_ = std::thread([this, out = out_pipe[0], err = err_pipe[0]] { read_output(out, err); });
  return true;
}

void ChildProcess::read_output(int out_fd, int err_fd) {
  std::string out_pending;
  std::string err_pending;
  char buffer[4096];
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out_fd : err_fd;
      if (fd < 0 || fds[i].revents == 0) continue;
      const ssize_t got = ::read(fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mutex_);
      if (got <= 0) {
        close_fd(fd);
        if (i == 0) stdout_closed_ = true;
      } else {
        split_lines(i == 0 ? out_pending : err_pending, buffer, static_cast<size_t>(got),
                    i == 0 ? stdout_lines_ : stderr_lines_);
      }
      changed_.notify_all();
    }
  }
  close_fd(out_fd);
  close_fd(err_fd);
  std::lock_guard<std::mutex> lock(mutex_);
  stdout_closed_ = true;
  changed_.notify_all();
}

void ChildProcess::reap(bool block) {
  if (pid_ <= 0) return;
  int status = 0;
  pid_t done;
  do {
    done = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done == 0) return;  // still running
  if (done == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  }
  pid_ = -1;
  join_reader();  // the pipes reach end-of-file once the child is gone
}

void ChildProcess::join_reader() {
  if (reader_.joinable()) reader_.join();
}

bool ChildProcess::running() {
  reap(false);
  return pid_ > 0;
}

bool ChildProcess::send_signal(int signal_number) { return running() && ::kill(pid_, signal_number) == 0; }

bool ChildProcess::wait_exit(int64_t timeout_ms) {
  // Polls waitpid: portable, and the wait ends as soon as the child does.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(kReapPollMs));
  }
  return true;
}

void ChildProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  join_reader();
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
