// Runs the Mono test program (TetherMonoTests.exe) against a real
// tether-server, restarting the server when the program asks for it.
// Exit codes: the program's; 77 (ctest: skipped) without Mono or in sanitizer builds.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "server_process.h"
#include "tokens.h"

using namespace tether::test_support;

namespace {

constexpr int kSkipped = 77;
constexpr int64_t kProgramTimeoutMs = 60000;

bool contains_line(const std::vector<std::string>& lines, const std::string& wanted) {
  for (const std::string& line : lines) {
    if (line == wanted) return true;
  }
  return false;
}

}  // namespace

int main() {
  const std::string mono = TETHER_MONO;
  if (mono.empty()) {
    std::printf("SKIPPED: %s\n", TETHER_MONO_SKIP_REASON);
    return kSkipped;
  }
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  if (!server.start()) {
    std::printf("cannot start tether-server: %s\n", server.error().c_str());
    return 1;
  }
  const ProcessResult layout = run_process(TETHER_LAYOUT_PROGRAM, {});
  if (layout.exit_code != 0) {
    std::printf("layout program failed (%d)\n", layout.exit_code);
    return 1;
  }
  std::string layout_text;
  for (const std::string& line : layout.stdout_lines) layout_text += line + ";";

  // Mono resolves DllImport("tether") to libtether.so through the loader path.
  setenv("LD_LIBRARY_PATH", TETHER_LIBRARY_DIR, 1);
  ChildProcess program;
  std::string error;
  if (!program.spawn(mono, {"--debug", TETHER_MONO_TESTS, "--url", server.url(), "--alice", mint_token("alice"),
                            "--bob", mint_token("bob"), "--layout", layout_text},
                     error)) {
    std::printf("cannot start mono: %s\n", error.c_str());
    return 1;
  }
  bool restarted = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kProgramTimeoutMs);
  while (program.running() && std::chrono::steady_clock::now() < deadline) {
    if (!restarted && contains_line(program.stdout_lines(), "KILL_SERVER_NOW")) {
      server.kill();
      restarted = server.restart();
      if (!restarted) std::printf("cannot restart tether-server: %s\n", server.error().c_str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (program.running()) program.kill();
  for (const std::string& line : program.stdout_lines()) std::printf("%s\n", line.c_str());
  for (const std::string& line : program.stderr_lines()) std::printf("stderr: %s\n", line.c_str());
  return program.exit_code();
}
