// tether_with_server PROGRAM [ARGS...]: runs PROGRAM while a tether-server
// listens on 127.0.0.1 (ephemeral port), with @URL@ and @TOKEN@ in ARGS
// replaced by its URL and a token for it; exits with PROGRAM's exit code.
// For tests that are not Catch binaries (tests/consumer). POSIX.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "server_process.h"
#include "tokens.h"

using tether::test_support::kServerBinary;
using tether::test_support::kTestSecret;
using tether::test_support::mint_token;
using tether::test_support::ServerProcess;

namespace {

std::string substituted(std::string arg, const std::string& name, const std::string& value) {
  for (size_t at = arg.find(name); at != std::string::npos; at = arg.find(name, at + value.size())) {
    arg.replace(at, name.size(), value);
  }
  return arg;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tether_with_server PROGRAM [ARGS...] (@URL@ and @TOKEN@ are replaced)\n");
    return 2;
  }
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  if (!server.start()) {
    std::fprintf(stderr, "tether_with_server: %s\n", server.error().c_str());
    return 2;
  }
  const std::string token = mint_token("consumer");
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.push_back(substituted(substituted(argv[i], "@URL@", server.url()), "@TOKEN@", token));
  std::vector<char*> exec_args;
  for (std::string& arg : args) exec_args.push_back(arg.data());
  exec_args.push_back(nullptr);

  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("tether_with_server: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(exec_args[0], exec_args.data());
    std::perror("tether_with_server: exec");
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int server_exit = server.stop();
  if (server_exit != 0) std::fprintf(stderr, "tether_with_server: tether-server exited with %d\n", server_exit);
  if (!WIFEXITED(status)) return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : (server_exit == 0 ? 0 : 2);
}
