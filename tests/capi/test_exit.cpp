// A host that returns from main() with live clients, traffic flowing, and
// never destroys them (tether.h, tether_client_destroy "At exit"): the
// process exits cleanly, and a destroy or pump from a handler that runs
// after Tether's finds the handles invalid. The program is
// exit_with_live_clients.c; under ASan+UBSan a use of state that exit tore
// down fails the run (it did before the exit handler: an error category
// used after its destruction, OpenSSL's RNG after its cleanup).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "capi_server.h"
#include "child_process.h"
#include "tether/tether.h"

using namespace tether::capi_test;
using tether::test_support::ChildProcess;

TEST_CASE("a host that exits with live clients exits cleanly, and their handles die with it",
          "[capi][integration][exit]") {
  RunningServer running;
  const std::string token = mint_token("leaver");
  constexpr int kRuns = 6;
  const std::string invalid_handle = "after exit: pump=" + std::to_string(TETHER_ERROR_INVALID_HANDLE);
  for (int run = 0; run < kRuns; ++run) {
    ChildProcess host;
    std::string error;
    REQUIRE(host.spawn(TETHER_EXIT_LIVE_PATH, {running.server.url(), token}, error));
    INFO("run " << run << " " << error);
    REQUIRE(host.wait_exit(60000));
    std::string output;
    for (const std::string& line : host.stdout_lines()) output += line + "\n";
    for (const std::string& line : host.stderr_lines()) output += "stderr: " + line + "\n";
    INFO(output);
    CHECK(host.exit_code() == 0);
    CHECK(output.find("exiting with 2 live clients") != std::string::npos);
#ifdef _WIN32
    // tether.dll's exit handler runs when the DLL detaches, after the
    // program's own: the program's handler still finds live clients.
    CHECK(output.find("after exit: pump=-") == std::string::npos);
    CHECK(output.find("after exit: pump=") != std::string::npos);
#else
    CHECK(output.find(invalid_handle) != std::string::npos);
#endif
    CHECK(output.find("stderr: ") == std::string::npos);  // no sanitizer report, no error
  }
}
