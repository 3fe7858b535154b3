// ChildProcess on Windows: CreateProcess with an anonymous pipe per stream
// and one reader thread per pipe (Windows cannot poll pipes). There are no
// signals: kill() is TerminateProcess, reported as exit code 128 + 9 as a
// SIGKILL is on POSIX.
#include <windows.h>

#include <mutex>

#include "child_process.h"

namespace tether::test_support {

namespace {

constexpr DWORD kKilledExitCode = 128 + 9;

// One argument as CommandLineToArgvW and the C runtime read it back: quoted
// when needed, backslashes doubled only before a quote.
void append_quoted(std::string& line, const std::string& arg) {
  if (!line.empty()) line += ' ';
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) {
    line += arg;
    return;
  }
  line += '"';
  size_t backslashes = 0;
  for (const char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    line.append(c == '"' ? backslashes * 2 + 1 : backslashes, '\\');
    backslashes = 0;
    line += c;
  }
  line.append(backslashes * 2, '\\');
  line += '"';
}

std::string last_error_text(const char* what) { return std::string(what) + ": error " + std::to_string(GetLastError()); }

// Pipes are made inheritable only between CreatePipe and CreateProcess, and a
// child inherits every inheritable handle: one spawn at a time keeps another
// thread's child from holding our pipe's write end (no end-of-file then).
std::mutex& spawn_mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

bool ChildProcess::spawn(const std::string& program, const std::vector<std::string>& args, std::string& error) {
  if (pid_ > 0) {
    error = "already running";
    return false;
  }
  join_reader();
  std::string command_line;
  append_quoted(command_line, program);
  for (const std::string& arg : args) append_quoted(command_line, arg);

  std::lock_guard<std::mutex> spawning(spawn_mutex());
  SECURITY_ATTRIBUTES inheritable{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
  HANDLE out_read = nullptr, out_write = nullptr, err_read = nullptr, err_write = nullptr;
  HANDLE null_input = CreateFileA("NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inheritable,
                                  OPEN_EXISTING, 0, nullptr);
  const bool piped = null_input != INVALID_HANDLE_VALUE && CreatePipe(&out_read, &out_write, &inheritable, 0) &&
                     CreatePipe(&err_read, &err_write, &inheritable, 0) &&
                     SetHandleInformation(out_read, HANDLE_FLAG_INHERIT, 0) &&
                     SetHandleInformation(err_read, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOA startup{};
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = null_input;
  startup.hStdOutput = out_write;
  startup.hStdError = err_write;
  PROCESS_INFORMATION created{};
  // No application name: the first token is searched for as Windows does,
  // starting in this program's directory.
  const bool started = piped && CreateProcessA(nullptr, command_line.data(), nullptr, nullptr, TRUE,
                                               CREATE_NO_WINDOW, nullptr, nullptr, &startup, &created);
  if (!started) error = last_error_text(piped ? "CreateProcess" : "CreatePipe");
  for (HANDLE handle : {null_input, out_write, err_write}) {
    if (handle != nullptr && handle != INVALID_HANDLE_VALUE) CloseHandle(handle);
  }
  if (!started) {
    for (HANDLE handle : {out_read, err_read}) {
      if (handle != nullptr) CloseHandle(handle);
    }
    return false;
  }
  CloseHandle(created.hThread);
  process_ = created.hProcess;
  pid_ = static_cast<int>(created.dwProcessId);
  exit_code_ = -1;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stdout_closed_ = false;
    first_stdout_line_ = stdout_lines_.size();
  }
  const auto drain = [this](HANDLE pipe, bool is_stdout) {
    std::string pending;
    char buffer[4096];
    DWORD got = 0;
    while (ReadFile(pipe, buffer, sizeof buffer, &got, nullptr) && got > 0) {
      add_output(is_stdout, buffer, got, pending);
    }
    CloseHandle(pipe);
    output_closed(is_stdout);
  };
  reader_ = std::thread(drain, out_read, true);
  error_reader_ = std::thread(drain, err_read, false);
  return true;
}

void ChildProcess::reap(bool block) {
  if (pid_ <= 0) return;
  if (WaitForSingleObject(process_, block ? INFINITE : 0) != WAIT_OBJECT_0) return;  // still running
  DWORD code = 0;
  exit_code_ = GetExitCodeProcess(process_, &code) ? static_cast<int>(code) : -1;
  CloseHandle(process_);
  process_ = nullptr;
  pid_ = -1;
  join_reader();  // the pipes reach end-of-file once the child is gone
}

void ChildProcess::join_reader() {
  if (reader_.joinable()) reader_.join();
  if (error_reader_.joinable()) error_reader_.join();
}

bool ChildProcess::send_signal(int) { return false; }

void ChildProcess::kill() {
  if (pid_ > 0) {
    TerminateProcess(process_, kKilledExitCode);
    reap(true);
  }
  join_reader();
}

}  // namespace tether::test_support
