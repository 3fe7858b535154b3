// Sessions outlive connections: resume with exactly-once delivery, takeover
// by a newer connection (4005), and expiry after the resume TTL.
#include <catch2/catch.hpp>

#include <string>

#include "raw_client.h"
#include "server_harness.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using core::MessageType;
using test_support::mint_token;
using test_support::RawClient;
using test_support::TestClient;

// Reconnects only when the test says so (reconnect_now), never on its own.
core::ClientConfig manual_reconnect_config(const std::string& user) {
  core::ClientConfig config = TestClient::default_config(mint_token(user));
  config.backoff.initial_delay_ms = 600000;
  config.backoff.max_delay_ms = 600000;
  return config;
}

bool ready_resumed(const TestClient& client, bool resumed) {
  size_t readies = 0;
  const ClientEvent* last_ready = nullptr;
  for (const ClientEvent& event : client.events()) {
    if (event.kind == ClientEvent::Kind::StateChanged && event.state == core::ClientState::Ready) {
      ++readies;
      last_ready = &event;
    }
  }
  return readies == 2 && last_ready->resumed == resumed;
}

TEST_CASE("a dropped client resumes and gets what was published meanwhile exactly once",
          "[server][integration]") {
  ServerHarness harness;
  TestClient alice(harness.loop, harness.url(), manual_reconnect_config("alice"));
  TestClient bob(harness.loop, harness.url(), mint_token("bob"));
  alice.connect();
  bob.connect();
  REQUIRE(alice.wait_ready());
  REQUIRE(bob.wait_ready());
  alice.subscribe("room:1");
  REQUIRE(alice.wait_for([&] { return alice.count(ClientEvent::Kind::Subscribed) == 1; }));

  bob.publish("room:1", R"("before")", true);
  REQUIRE(alice.wait_for([&] { return alice.messages("room:1").size() == 1; }));

  const std::string session = alice.session_id();
  REQUIRE(alice.drop_connection());
  REQUIRE(alice.wait_for([&] {
    const auto stats = harness.server->session_stats(session);
    return stats && !stats->connected;
  }));
  for (int i = 0; i < 5; ++i) bob.publish("room:1", "\"while away " + std::to_string(i) + "\"", true);
  REQUIRE(bob.wait_for([&] {
    const auto stats = harness.server->session_stats(session);
    return stats && stats->queued == 5;
  }));

  alice.reconnect_now();
  REQUIRE(alice.wait_authenticated(2));
  CHECK(ready_resumed(alice, true));
  CHECK(alice.session_id() == session);
  REQUIRE(alice.wait_for([&] { return alice.messages("room:1").size() >= 6; }));
  // Acks settle, then nothing more arrives: no duplicates.
  REQUIRE(alice.wait_for([&] {
    const auto stats = harness.server->session_stats(session);
    return stats && stats->delivered == 6 && stats->in_flight == 0 && stats->queued == 0;
  }));
  const auto received = alice.messages("room:1");
  REQUIRE(received.size() == 6);
  CHECK(received[0].data == R"("before")");
  for (size_t i = 1; i < received.size(); ++i) {
    CHECK(received[i].data == "\"while away " + std::to_string(i - 1) + "\"");
  }
  CHECK(harness.logged("resumed=true"));
  CHECK(harness.server->session_count() == 2);
}

TEST_CASE("resuming on a new connection closes the older one with 4005", "[server][integration]") {
  ServerHarness harness;
  const std::string token = mint_token("alice");
  RawClient first(harness.loop, harness.url());
  REQUIRE(first.wait_open());
  first.send_auth(token);
  REQUIRE(first.wait_for_message(MessageType::AuthSuccess));
  const std::string session = first.find(MessageType::AuthSuccess)->session;

  // Another user cannot take the session over: they get a fresh one.
  RawClient thief(harness.loop, harness.url());
  REQUIRE(thief.wait_open());
  thief.send_auth(mint_token("mallory"), session, 0);
  REQUIRE(thief.wait_for_message(MessageType::AuthSuccess));
  CHECK_FALSE(thief.find(MessageType::AuthSuccess)->resumed);
  CHECK(thief.find(MessageType::AuthSuccess)->session != session);

  RawClient second(harness.loop, harness.url());
  REQUIRE(second.wait_open());
  second.send_auth(token, session, 0);
  REQUIRE(second.wait_for_message(MessageType::AuthSuccess));
  CHECK(second.find(MessageType::AuthSuccess)->resumed);
  REQUIRE(first.wait_closed());
  CHECK(first.close_info().code == 4005);
  CHECK(second.is_open());
  CHECK(thief.is_open());
}

TEST_CASE("a parked session expires after the resume TTL, and a later reconnect starts afresh",
          "[server][integration]") {
  RecordingApp app;
  ServerHarness harness([](ServerOptions& options) { options.session.resume_ttl_ms = 100; }, &app);
  TestClient alice(harness.loop, harness.url(), manual_reconnect_config("alice"));
  alice.connect();
  REQUIRE(alice.wait_ready());
  const std::string session = alice.session_id();
  REQUIRE(alice.drop_connection());
  REQUIRE(alice.wait_for([&] { return app.ended.size() == 1; }));
  CHECK(app.ended[0] == session);
  CHECK(harness.server->session_count() == 0);
  CHECK(harness.logged("session expired session=" + session.substr(0, 8)));

  alice.reconnect_now();
  REQUIRE(alice.wait_authenticated(2));
  CHECK(ready_resumed(alice, false));
  CHECK(alice.session_id() != session);
  CHECK(app.started.size() == 2);
}

}  // namespace
}  // namespace tether::server::test
