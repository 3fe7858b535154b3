// Embedding: an Application consuming a "lobby" channel with replies through
// send_to_session, app-originated publishes, hook failures, shutdown.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "raw_client.h"
#include "run_until.h"
#include "server_harness.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using test_support::mint_token;
using test_support::TestClient;

// Request/response on "lobby": every publish there is answered to its sender only.
struct LobbyApp : RecordingApp {
  bool on_publish(Server& server, const SessionInfo& from, std::string_view channel, std::string_view data,
                  bool reliable) override {
    if (channel != "lobby") return false;
    ++requests;
    const bool moderator = from.permissions->has("moderator");
    const std::string reply = R"({"to":")" + from.user_id + R"(","moderator":)" + (moderator ? "true" : "false") +
                              R"(,"request":)" + std::string(data) + "}";
    replied = server.send_to_session(from.session_id, "lobby", reply, reliable);
    return true;
  }
  int requests = 0;
  bool replied = false;
};

TEST_CASE("an application consumes a lobby channel and replies with send_to_session", "[server][integration]") {
  LobbyApp app;
  ServerHarness harness({}, &app);
  TestClient alice(harness.loop, harness.url(), mint_token("alice", {"publish:lobby", "moderator"}));
  TestClient bob(harness.loop, harness.url(), mint_token("bob", {"subscribe:lobby"}));
  alice.connect();
  bob.connect();
  REQUIRE(alice.wait_ready());
  REQUIRE(bob.wait_ready());
  bob.subscribe("lobby");
  REQUIRE(bob.wait_for([&] { return bob.count(ClientEvent::Kind::Subscribed) == 1; }));
  CHECK(app.started.size() == 2);

  REQUIRE(alice.publish("lobby", R"({"op":"join"})", true) == core::SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.messages("lobby").size() == 1; }));
  CHECK(alice.messages("lobby")[0].data == R"({"to":"alice","moderator":true,"request":{"op":"join"}})");
  CHECK(alice.messages("lobby")[0].reliable);
  CHECK(app.requests == 1);
  CHECK(app.replied);

  // Consumed: bob, subscribed to the lobby, never saw the request. The app's
  // own publish is the first thing he gets.
  REQUIRE(harness.server->publish("lobby", R"({"announcement":"round starts"})", false));
  REQUIRE(bob.wait_for([&] { return !bob.messages("lobby").empty(); }));
  CHECK(bob.messages("lobby")[0].data == R"({"announcement":"round starts"})");

  // Invalid application input is refused, not sent.
  CHECK_FALSE(harness.server->publish("lobby", "{not json", false));
  CHECK_FALSE(harness.server->publish("", "1", false));
  CHECK_FALSE(harness.server->publish("lobby\xff", "1", false));  // channel not UTF-8
  CHECK_FALSE(harness.server->send_to_session(alice.session_id(), "lobby", "[1,", false));
  CHECK_FALSE(harness.server->send_to_session("no-such-session", "lobby", "1", false));
}

// Every publish on "chat" is relayed to everyone in `members`, one
// send_to_session each, as the lobby's room chat does.
struct RelayApp : RecordingApp {
  bool on_publish(Server& server, const SessionInfo&, std::string_view channel, std::string_view data,
                  bool reliable) override {
    if (channel != "chat") return false;
    for (const std::string& member : members) server.send_to_session(member, "chat", data, reliable);
    return true;
  }
  std::vector<std::string> members;
};

TEST_CASE("replies a hook sends for a batch of publishes arrive in the batch's order for everyone",
          "[server][integration]") {
  RelayApp app;
  ServerHarness harness({}, &app);
  test_support::RawClient sender(harness.loop, harness.url());
  test_support::RawClient watcher(harness.loop, harness.url());
  for (test_support::RawClient* c : {&sender, &watcher}) {
    REQUIRE(c->wait_open());
    c->send_auth(mint_token(c == &sender ? "sender" : "watcher", {"publish:*"}));
    REQUIRE(c->wait_for_message(core::MessageType::AuthSuccess));
  }
  app.members = app.started;  // both sessions
  REQUIRE(app.members.size() == 2);

  // One frame, twenty publishes: the hook runs for each while the server
  // is still routing the rest of the batch.
  constexpr int kBatch = 20;
  std::string batch = "[";
  for (int n = 1; n <= kBatch; ++n) {
    batch += (n > 1 ? "," : "") + std::string(R"({"channel":"chat","data":)") + std::to_string(n) +
             R"(,"id":)" + std::to_string(n) + R"(,"requireAck":true})";
  }
  sender.send(batch + "]");
  const auto chat_of = [](const test_support::RawClient& c) {
    std::vector<std::string> out;
    for (const core::Message& m : c.messages()) {
      if (m.type == core::MessageType::Channel && m.channel == "chat") out.push_back(m.data);
    }
    return out;
  };
  REQUIRE(test_support::run_until(harness.loop, [&] {
    return chat_of(sender).size() == kBatch && chat_of(watcher).size() == kBatch;
  }));
  std::vector<std::string> expected;
  for (int n = 1; n <= kBatch; ++n) expected.push_back(std::to_string(n));
  CHECK(chat_of(sender) == expected);
  CHECK(chat_of(watcher) == expected);
}

TEST_CASE("a throwing hook is logged and the server carries on", "[server][integration]") {
  struct ThrowingApp : Application {
    bool on_publish(Server&, const SessionInfo&, std::string_view, std::string_view, bool) override {
      throw std::runtime_error("hook bug");
    }
  } app;
  ServerHarness harness({}, &app);
  TestClient alice(harness.loop, harness.url(), mint_token("alice"));
  alice.connect();
  REQUIRE(alice.wait_ready());
  alice.subscribe("room");
  alice.publish("room", "1", true);
  REQUIRE(alice.wait_for([&] { return alice.messages("room").size() == 1; }));  // not consumed: fanned out
  CHECK(harness.logged("application error hook=on_publish"));
}

TEST_CASE("shutdown closes every client with 1001 and ends every session", "[server][integration]") {
  RecordingApp app;
  ServerHarness harness({}, &app);
  TestClient alice(harness.loop, harness.url(), mint_token("alice"));
  TestClient bob(harness.loop, harness.url(), mint_token("bob"));
  alice.connect();
  bob.connect();
  REQUIRE(alice.wait_ready());
  REQUIRE(bob.wait_ready());

  harness.server->shutdown();
  REQUIRE(alice.wait_for([&] { return !alice.closes().empty() && !bob.closes().empty(); }));
  CHECK(alice.closes()[0].code == 1001);
  CHECK(bob.closes()[0].code == 1001);
  CHECK(app.ended.size() == 2);
  CHECK(harness.server->session_count() == 0);
  REQUIRE(alice.wait_for([&] { return harness.server->connection_count() == 0; }));
  CHECK_FALSE(harness.server->publish("room", "1", false));
}

}  // namespace
}  // namespace tether::server::test
