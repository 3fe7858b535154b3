// Authentication: tokens, auth failures, the auth timeout, and that nothing
// is routed for a connection before auth_success.
#include <catch2/catch.hpp>

#include "raw_client.h"
#include "server_harness.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using core::MessageType;
using test_support::kTestSecret;
using test_support::mint_token;
using test_support::RawClient;
using test_support::TestClient;

TEST_CASE("a valid token authenticates and starts a session", "[server][integration]") {
  RecordingApp app;
  ServerHarness harness({}, &app);
  const std::string token = mint_token("alice", {"publish:*", "subscribe:*", "moderator"});
  TestClient alice(harness.loop, harness.url(), token);
  alice.connect();
  REQUIRE(alice.wait_ready());

  const ClientEvent* ok = alice.find(ClientEvent::Kind::AuthOk);
  REQUIRE(ok != nullptr);
  CHECK(ok->user_id == "alice");
  CHECK(ok->session.size() == 32);  // 128 random bits, hex
  CHECK(ok->permissions == std::vector<std::string>{"publish:*", "subscribe:*", "moderator"});
  const ClientEvent* ready = alice.find(ClientEvent::Kind::StateChanged,
                                        [](const ClientEvent& e) { return e.state == core::ClientState::Ready; });
  REQUIRE(ready != nullptr);
  CHECK_FALSE(ready->resumed);
  CHECK(harness.server->session_count() == 1);
  CHECK(app.started == std::vector<std::string>{ok->session});

  CHECK(harness.logged("connect conn="));
  CHECK(harness.logged("auth ok conn="));
  CHECK(harness.logged("user=alice session=" + ok->session.substr(0, 8) + " resumed=false"));
  for (const std::string& line : harness.log_lines) {
    CHECK(line.find(token) == std::string::npos);
    CHECK(line.find(kTestSecret) == std::string::npos);
    CHECK(line.find(ok->session) == std::string::npos);  // only a prefix is logged
  }
}

TEST_CASE("a forged, expired or malformed token gets auth_failed and close 4001", "[server][integration]") {
  ServerHarness harness;
  struct Case {
    std::string token;
    std::string code;
  };
  const Case cases[] = {
      {mint_token("mallory", test_support::all_channels(), 60000, "not-the-secret"), "bad_signature"},
      {mint_token("alice", test_support::all_channels(), -60000), "token_expired"},
      {"not-a-jwt", "token_malformed"},
  };
  for (const Case& c : cases) {
    INFO(c.code);
    RawClient raw(harness.loop, harness.url());
    REQUIRE(raw.wait_open());
    REQUIRE(raw.send_auth(c.token));
    REQUIRE(raw.wait_closed());
    CHECK(raw.close_info().code == 4001);
    const std::vector<core::Message> received = raw.messages();
    REQUIRE(received.size() == 1);  // auth_failed reached the client before the close
    CHECK(received[0].type == MessageType::AuthFailed);
    CHECK(received[0].code == c.code);
    CHECK(harness.logged("auth failed conn="));
    CHECK(harness.logged("code=" + c.code));
  }
  CHECK(harness.server->session_count() == 0);
  for (const Case& c : cases) {
    for (const std::string& line : harness.log_lines) CHECK(line.find(c.token) == std::string::npos);
  }
}

TEST_CASE("nothing is routed before auth_success: a channel message closes with 4004",
          "[server][integration]") {
  ServerHarness harness;
  TestClient watcher(harness.loop, harness.url(), mint_token("watcher"));
  watcher.connect();
  REQUIRE(watcher.wait_ready());
  watcher.subscribe("room:1");
  REQUIRE(watcher.wait_for([&] { return watcher.count(ClientEvent::Kind::Subscribed) == 1; }));

  RawClient intruder(harness.loop, harness.url());
  REQUIRE(intruder.wait_open());
  REQUIRE(intruder.send(R"([{"channel":"room:1","data":"sneaky"},{"type":"subscribe","channel":"room:1"}])"));
  REQUIRE(intruder.wait_closed());
  CHECK(intruder.close_info().code == 4004);
  REQUIRE(intruder.find(MessageType::Error, "not_authenticated"));
  CHECK_FALSE(intruder.find(MessageType::Subscribed));

  // A marker published after the intruder left is the first thing the watcher sees.
  TestClient publisher(harness.loop, harness.url(), mint_token("publisher"));
  publisher.connect();
  REQUIRE(publisher.wait_ready());
  REQUIRE(publisher.publish("room:1", R"("marker")") == core::SendStatus::Ok);
  REQUIRE(watcher.wait_for([&] { return !watcher.messages("room:1").empty(); }));
  CHECK(watcher.messages("room:1")[0].data == R"("marker")");
  CHECK(harness.server->session_count() == 2);
}

TEST_CASE("no auth within the auth timeout: auth_failed auth_timeout and close 4002", "[server][integration]") {
  ServerHarness harness([](ServerOptions& options) { options.session.auth_timeout_ms = 300; });
  RawClient silent(harness.loop, harness.url());
  REQUIRE(silent.wait_open());
  // A ping is the one message answered before auth; it does not count as auth.
  REQUIRE(silent.send(R"({"type":"ping","timestamp":77})"));
  REQUIRE(silent.wait_for_message(MessageType::Pong));
  CHECK(silent.find(MessageType::Pong)->timestamp == 77);
  REQUIRE(silent.wait_closed());
  CHECK(silent.close_info().code == 4002);
  CHECK(silent.find(MessageType::AuthFailed, "auth_timeout"));
  CHECK(harness.server->connection_count() == 0);
}

}  // namespace
}  // namespace tether::server::test
