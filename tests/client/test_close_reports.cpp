// How the engine reports the end of a connection: who ended it (taken from
// the transport, not guessed from the close code); and a token that would
// make a frame the transport cannot send is refused where it comes in.
#include <catch2/catch.hpp>

#include "engine_driver.h"
#include "server_process.h"
#include "tokens.h"
#include "transport/test_pki.h"

using namespace tether::test;
using namespace tether::test_support;
using tether::core::CloseInitiator;

namespace {

// The first StateChanged into `state`, or null.
const EngineEvent* first_state(const EngineDriver& client, ClientState state) {
  for (const EngineEvent& e : client.events) {
    if (e.kind == EngineEvent::Kind::Session && e.session.kind == ClientEvent::Kind::StateChanged &&
        e.session.state == state) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("engine: close_initiator says who ended the connection", "[client][integration][tls]") {
  using tether::transport::test::test_pki;

  SECTION("a TLS verification failure: the transport (no close frame from the server)") {
    ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret, "--tls-cert", test_pki().server.cert_file,
                                         "--tls-key", test_pki().server.key_file});
    INFO(server.error());
    REQUIRE(server.start());
    EngineDriver client(engine_config(server.url(), mint_token("tls")));  // the test CA is not trusted
    client.engine->connect();
    REQUIRE(client.wait([&] { return first_state(client, ClientState::Backoff) != nullptr; }));
    const EngineEvent* transport_error = client.last(ClientEvent::Kind::Error, EngineEvent::Kind::Transport);
    REQUIRE(transport_error != nullptr);
    CHECK(transport_error->session.code == "tls_verify_failed");
    const ClientEvent& backoff = first_state(client, ClientState::Backoff)->session;
    CHECK(backoff.close_code == 1015);
    // Before: 1015 is not 1006, so the session guessed Remote.
    CHECK(backoff.initiator == CloseInitiator::Transport);
  }

  SECTION("the server closing with a close frame: the remote; the host's close: local") {
    ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
    INFO(server.error());
    REQUIRE(server.start());
    EngineDriver client(engine_config(server.url(), mint_token("remote")));
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.ready(); }));
    REQUIRE(server.stop() == 0);  // graceful: every connection gets 1001
    REQUIRE(client.wait([&] { return first_state(client, ClientState::Backoff) != nullptr; }));
    const ClientEvent& backoff = first_state(client, ClientState::Backoff)->session;
    CHECK(backoff.close_code == 1001);
    CHECK(backoff.initiator == CloseInitiator::Remote);

    client.engine->close();
    REQUIRE(client.wait([&] { return first_state(client, ClientState::Closed) != nullptr; }));
    CHECK(first_state(client, ClientState::Closed)->session.initiator == CloseInitiator::Local);
  }
}

TEST_CASE("engine: a token that is not UTF-8 is refused by set_token, and the session carries on",
          "[client][integration]") {
  // The engine sends its text frames unchecked (the codec's output is UTF-8
  // by construction), so the one string it does not produce from checked
  // input, the host's token, is refused where it comes in. Before, the auth
  // frame it made was refused by the transport (frame_refused) and the
  // connection started over, again and again.
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  EngineDriver client(engine_config(server.url(), mint_token("utf8")));
  client.engine->connect();
  REQUIRE(client.wait([&] { return client.ready(); }));
  CHECK_FALSE(client.engine->set_token("not-utf8-\xff"));
  // A valid token still goes through, as a refresh on the same connection.
  CHECK(client.engine->set_token(mint_token("utf8")));
  REQUIRE(client.wait([&] { return client.last(ClientEvent::Kind::TokenRefreshed) != nullptr; }));
  CHECK(client.count_state(ClientState::Ready) == 1);  // never reconnected
  CHECK(client.last(ClientEvent::Kind::Error) == nullptr);
}
