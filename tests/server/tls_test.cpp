// wss://: the server with a certificate generated at run time, in-process and
// as the tether-server process.
#include <catch2/catch.hpp>

#include "server_harness.h"
#include "server_process.h"
#include "test_client.h"
#include "tokens.h"
#include "transport/test_pki.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using test_support::mint_token;
using test_support::TestClient;
using transport::test::test_pki;

transport::ClientConnectOptions trusting_test_ca() {
  transport::ClientConnectOptions options;
  options.ca_file = test_pki().ca_file;
  return options;
}

TEST_CASE("wss: clients authenticate and exchange messages over TLS", "[server][integration][tls]") {
  ServerHarness harness([](ServerOptions& options) {
    options.tls_cert_file = test_pki().server.cert_file;
    options.tls_key_file = test_pki().server.key_file;
  });
  REQUIRE(harness.url().rfind("wss://127.0.0.1:", 0) == 0);
  const auto config = [](const char* user) { return TestClient::default_config(mint_token(user)); };
  TestClient alice(harness.loop, harness.url(), config("alice"), trusting_test_ca());
  TestClient bob(harness.loop, harness.url(), config("bob"), trusting_test_ca());
  alice.connect();
  bob.connect();
  REQUIRE(alice.wait_ready());
  REQUIRE(bob.wait_ready());
  bob.subscribe("room");
  REQUIRE(bob.wait_for([&] { return bob.count(ClientEvent::Kind::Subscribed) == 1; }));
  alice.publish("room", R"({"secure":true})", true);
  REQUIRE(bob.wait_for([&] { return bob.messages("room").size() == 1; }));
  CHECK(bob.messages("room")[0].data == R"({"secure":true})");
  CHECK(alice.wait_for([&] { return alice.count(ClientEvent::Kind::Acked) == 1; }));
}

TEST_CASE("wss: tether-server --tls-cert/--tls-key announces and serves wss://", "[server][integration][tls]") {
  test_support::ServerProcess server(test_support::kServerBinary,
                                     {"--jwt-secret", test_support::kTestSecret, "--tls-cert",
                                      test_pki().server.cert_file, "--tls-key", test_pki().server.key_file});
  INFO(server.error());
  REQUIRE(server.start());
  CHECK(server.url() == "wss://127.0.0.1:" + std::to_string(server.port()));

  transport::EventLoop loop;
  TestClient alice(loop, server.url(), TestClient::default_config(mint_token("alice")), trusting_test_ca());
  alice.connect();
  REQUIRE(alice.wait_ready());
  // Dropped, not closed: a clean TLS close leaves the server waiting up to 2 s
  // for the client's close_notify (the transport's socket shutdown timeout).
  REQUIRE(alice.drop_connection());
  REQUIRE(alice.wait_for([&] { return server.log_contains("close conn="); }));
  CHECK(server.stop() == 0);
}

}  // namespace
}  // namespace tether::server::test
