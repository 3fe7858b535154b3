// ChildProcess on POSIX: fork/exec with pipes, poll() on both, waitpid.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstring>

#include "child_process.h"

namespace tether::test_support {

namespace {

// pipe2() is not on every POSIX system. Setting FD_CLOEXEC afterwards is racy
// only against a concurrent fork elsewhere in the test process.
bool cloexec_pipe(int fds[2]) {
  if (::pipe(fds) != 0) return false;
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return true;
}

}  // namespace

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
  reader_ = std::thread([this, out_fd = out_pipe[0], err_fd = err_pipe[0]] {
    int fds[2] = {out_fd, err_fd};
    std::string pending[2];
    char buffer[4096];
    while (fds[0] >= 0 || fds[1] >= 0) {
      pollfd polled[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
      if (::poll(polled, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < 2; ++i) {
        if (fds[i] < 0 || polled[i].revents == 0) continue;
        const ssize_t got = ::read(fds[i], buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got > 0) {
          add_output(i == 0, buffer, static_cast<size_t>(got), pending[i]);
        } else {
          ::close(fds[i]);
          fds[i] = -1;
          output_closed(i == 0);
        }
      }
    }
    for (int& fd : fds) {
      if (fd >= 0) ::close(fd);
    }
    output_closed(true);
  });
  return true;
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

bool ChildProcess::send_signal(int signal_number) { return running() && ::kill(pid_, signal_number) == 0; }

void ChildProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  join_reader();
}

}  // namespace tether::test_support
