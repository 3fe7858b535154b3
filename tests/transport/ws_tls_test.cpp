// wss:// against servers using certificates generated for the test run: the
// good case, and each way verification can fail, reported distinctly.
#include <catch2/catch.hpp>

#include "test_pki.h"
#include "test_support.h"

namespace tether::transport {
namespace {

using test::CertificateFiles;
using test::ClientLog;
using test::EchoServer;
using test::options_for;
using test::run_until;
using test::test_pki;

ServerListenOptions tls_listen(const CertificateFiles& files) {
  ServerListenOptions options = test::echo_options();
  options.tls_cert_file = files.cert_file;
  options.tls_key_file = files.key_file;
  return options;
}

ClientConnectOptions trusting_test_ca(const std::string& url) {
  ClientConnectOptions options = options_for(url);
  options.ca_pem = test_pki().ca_pem;
  return options;
}

// Connects once and runs until the attempt opens or ends.
struct Attempt {
  Attempt(EventLoop& loop, const ClientConnectOptions& options) : client(loop) {
    id = client.connect(options, log.handlers());
    REQUIRE(run_until(loop, [&] { return log.is_open(id) || log.is_closed(id); }));
  }
  bool opened() const { return log.is_open(id); }
  const CloseInfo& failure() const {
    REQUIRE(log.is_closed(id));
    return log.closed.at(id);
  }
  ClientLog log;
  WsClient client;
  ConnectionId id = kNoConnection;
};

TEST_CASE("wss connects to a server whose CA is trusted by ca_pem or ca_file", "[transport][tls]") {
  EventLoop loop;
  EchoServer server(loop, tls_listen(test_pki().server));

  Attempt by_pem(loop, trusting_test_ca(server.url("127.0.0.1")));
  REQUIRE(by_pem.opened());
  CHECK(by_pem.client.send_text(by_pem.id, "over tls"));
  REQUIRE(run_until(loop, [&] { return by_pem.log.texts.size() == 1; }));
  CHECK(by_pem.log.texts[0] == "over tls");

  ClientConnectOptions by_file_options = options_for(server.url("localhost"));
  by_file_options.ca_file = test_pki().ca_file;
  Attempt by_file(loop, by_file_options);
  CHECK(by_file.opened());

  // A close handshake over TLS is clean on both sides, whatever the TCP end looks like.
  CHECK(by_pem.client.close(by_pem.id, 1000, "done"));
  REQUIRE(run_until(loop, [&] { return by_pem.log.is_closed(by_pem.id) && server.log.closed.size() == 1; }));
  CHECK(by_pem.log.closed.at(by_pem.id).clean);
  CHECK(by_pem.log.closed.at(by_pem.id).error == TransportError::None);
  CHECK(server.log.closed.begin()->second.clean);
  CHECK(server.log.closed.begin()->second.code == 1000);
}

TEST_CASE("an untrusted self-signed certificate fails with TlsVerifyFailed", "[transport][tls]") {
  EventLoop loop;
  EchoServer server(loop, tls_listen(test_pki().self_signed));
  Attempt attempt(loop, trusting_test_ca(server.url()));
  REQUIRE_FALSE(attempt.opened());
  CHECK(attempt.failure().error == TransportError::TlsVerifyFailed);
  CHECK_THAT(attempt.failure().detail, Catch::Contains("self-signed") || Catch::Contains("self signed"));
  CHECK(attempt.failure().code == 1015);
  CHECK(server.log.opened.empty());
}

TEST_CASE("a certificate for another host fails with TlsHostnameMismatch", "[transport][tls]") {
  EventLoop loop;
  EchoServer server(loop, tls_listen(test_pki().other_host));
  for (const char* host : {"127.0.0.1", "localhost"}) {
    INFO(host);
    Attempt attempt(loop, trusting_test_ca(server.url(host)));
    REQUIRE_FALSE(attempt.opened());
    CHECK(attempt.failure().error == TransportError::TlsHostnameMismatch);
  }
}

TEST_CASE("an expired certificate fails with TlsVerifyFailed saying so", "[transport][tls]") {
  EventLoop loop;
  EchoServer server(loop, tls_listen(test_pki().expired));
  Attempt attempt(loop, trusting_test_ca(server.url()));
  REQUIRE_FALSE(attempt.opened());
  CHECK(attempt.failure().error == TransportError::TlsVerifyFailed);
  CHECK_THAT(attempt.failure().detail, Catch::Contains("expired"));
}

TEST_CASE("public key pins must match the server's key", "[transport][tls]") {
  EventLoop loop;
  EchoServer server(loop, tls_listen(test_pki().server));

  SECTION("a matching pin, among others, connects") {
    ClientConnectOptions options = trusting_test_ca(server.url());
    options.pinned_spki_sha256 = {test_pki().unrelated_pin, test_pki().server.pin};
    CHECK(Attempt(loop, options).opened());
  }
  SECTION("no matching pin fails with TlsPinMismatch") {
    ClientConnectOptions options = trusting_test_ca(server.url());
    options.pinned_spki_sha256 = {test_pki().unrelated_pin};
    Attempt attempt(loop, options);
    REQUIRE_FALSE(attempt.opened());
    CHECK(attempt.failure().error == TransportError::TlsPinMismatch);
  }
}

TEST_CASE("with verify_peer off only the pins decide", "[transport][tls]") {
  EventLoop loop;
  EchoServer server(loop, tls_listen(test_pki().self_signed));
  ClientConnectOptions options = options_for(server.url());  // the test CA is not even trusted
  options.verify_peer = false;

  SECTION("matching pin") {
    options.pinned_spki_sha256 = {test_pki().self_signed.pin};
    CHECK(Attempt(loop, options).opened());
  }
  SECTION("other pin") {
    options.pinned_spki_sha256 = {test_pki().server.pin};
    Attempt attempt(loop, options);
    REQUIRE_FALSE(attempt.opened());
    CHECK(attempt.failure().error == TransportError::TlsPinMismatch);
  }
}

TEST_CASE("wss to a plain ws server fails with TlsHandshakeFailed, never falling back", "[transport][tls]") {
  EventLoop loop;
  ServerListenOptions impatient = test::echo_options();
  impatient.handshake_timeout_ms = 200;  // it waits for an HTTP request that never comes, then hangs up
  EchoServer plain(loop, impatient);
  Attempt attempt(loop, trusting_test_ca("wss://127.0.0.1:" + std::to_string(plain.port) + "/"));
  REQUIRE_FALSE(attempt.opened());
  CHECK(attempt.failure().error == TransportError::TlsHandshakeFailed);
  CHECK(plain.log.opened.empty());
}

}  // namespace
}  // namespace tether::transport
