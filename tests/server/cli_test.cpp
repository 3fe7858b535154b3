// The tether-server process: startup line, arguments, SIGTERM, kill -9 and
// restart on the same port.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <chrono>
#include <string>

#include "server_process.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using test_support::kServerBinary;
using test_support::kTestSecret;
using test_support::mint_token;
using test_support::ServerProcess;
using test_support::TestClient;

bool contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const std::string& line : lines) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("tether-server prints one startup line with the real port", "[server][integration]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  CHECK(server.port() != 0);
  CHECK(server.startup_line() == "tether-server listening on ws://127.0.0.1:" + std::to_string(server.port()));

  transport::EventLoop loop;
  TestClient alice(loop, server.url(), mint_token("alice"));
  alice.connect();
  REQUIRE(alice.wait_ready());
  CHECK(server.wait_for_log("auth ok"));
  alice.close();
  REQUIRE(alice.wait_for([&] { return server.log_contains("close conn="); }));  // both sides done
  CHECK(server.stop() == 0);
  CHECK_FALSE(server.log_contains(kTestSecret));
}

TEST_CASE("tether-server --help exits 0 and bad arguments exit 2", "[server][integration]") {
  ::unsetenv("TETHER_JWT_SECRET");
  const auto help = test_support::run_process(kServerBinary, {"--help"});
  CHECK(help.exit_code == 0);
  CHECK(contains(help.stdout_lines, "Usage: tether-server"));

  const std::vector<std::vector<std::string>> bad = {
      {},                                                        // no secret
      {"--jwt-secret"},                                          // missing value
      {"--jwt-secret", "s", "--bogus"},                          // unknown flag
      {"--jwt-secret", "s", "--listen", "localhost"},            // no port
      {"--jwt-secret", "s", "--listen", "127.0.0.1:70000"},      // port out of range
      {"--jwt-secret", "s", "--max-connections", "-3"},          // negative
      {"--jwt-secret", "s", "--max-message-size", "12abc"},      // trailing garbage
      {"--jwt-secret", "s", "--auth-timeout-ms", "0"},           // must be > 0
      {"--jwt-secret", "s", "--tls-cert", "cert.pem"},           // key missing
  };
  for (const auto& args : bad) {
    const auto result = test_support::run_process(kServerBinary, args);
    INFO((args.empty() ? std::string("(none)") : args.back()));
    CHECK(result.exit_code == 2);
    CHECK(result.stdout_lines.empty());
    CHECK(contains(result.stderr_lines, "tether-server: "));
  }
}

TEST_CASE("SIGTERM closes clients with 1001 and exits 0", "[server][integration]") {
  ::setenv("TETHER_JWT_SECRET", kTestSecret, 1);  // the secret may come from the environment
  ServerProcess server(kServerBinary, {});
  const bool started = server.start();
  ::unsetenv("TETHER_JWT_SECRET");
  INFO(server.error());
  REQUIRE(started);

  transport::EventLoop loop;
  TestClient alice(loop, server.url(), mint_token("alice"));
  alice.connect();
  REQUIRE(alice.wait_ready());

  const auto signalled = std::chrono::steady_clock::now();
  REQUIRE(server.terminate());
  REQUIRE(alice.wait_for([&] { return !alice.closes().empty() && server.has_exited(); }));
  const auto took = std::chrono::steady_clock::now() - signalled;
  CHECK(alice.closes()[0].code == 1001);
  CHECK(server.exit_code() == 0);
  CHECK(took < std::chrono::seconds(2));
  CHECK(server.log_contains("shutdown code=1001"));
}

TEST_CASE("after kill -9 the server restarts on the same port and clients reconnect", "[server][integration]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  const uint16_t port = server.port();

  transport::EventLoop loop;
  TestClient alice(loop, server.url(), mint_token("alice"));
  alice.connect();
  REQUIRE(alice.wait_ready());
  const std::string first_session = alice.session_id();

  server.kill();
  CHECK(server.exit_code() == 128 + 9);
  REQUIRE(alice.wait_for([&] { return !alice.closes().empty(); }));
  CHECK(alice.closes()[0].code == 1006);

  REQUIRE(server.restart());
  CHECK(server.port() == port);
  REQUIRE(alice.wait_authenticated(2));
  CHECK(alice.session_id() != first_session);  // the old process took the session with it
  alice.close();
  REQUIRE(alice.wait_for([&] { return server.log_contains("close conn="); }));  // both sides done
  CHECK(server.stop() == 0);
}

}  // namespace
}  // namespace tether::server::test
