// The lobby server end to end: LobbyApp embedded in the real server on
// 127.0.0.1, players as real clients.
#include <catch2/catch.hpp>

#include <string>

#include "lobby_app.h"
#include "server/server.h"
#include "test_client.h"
#include "tokens.h"

using namespace tether;
using core::ClientEvent;
using test_support::mint_token;
using test_support::TestClient;

namespace {

struct LobbyServer {
  LobbyServer() {
    server::ServerOptions options;
    options.jwt_secret = test_support::kTestSecret;
    options.log = [](std::string_view) {};
    server = std::make_unique<server::Server>(loop, options, &app);
    const auto listening = server->start();
    REQUIRE(listening.ok());
    url = "ws://127.0.0.1:" + std::to_string(listening.port);
  }
  transport::EventLoop loop;
  lobby::LobbyApp app;
  std::unique_ptr<server::Server> server;
  std::string url;
};

const std::vector<std::string> kPlayer = {"publish:lobby", "publish:room:*"};

bool has_reply(const TestClient& c, const std::string& needle) {
  for (const auto& m : c.messages("lobby")) {
    if (m.data.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("lobby server: only a moderator may kick, others get permission_denied", "[lobby][integration]") {
  LobbyServer s;
  TestClient alice(s.loop, s.url, mint_token("alice", kPlayer));
  TestClient bob(s.loop, s.url, mint_token("bob", kPlayer));
  TestClient mallory(s.loop, s.url, mint_token("mallory", kPlayer));
  auto mod_permissions = kPlayer;
  mod_permissions.push_back("publish:lobby:kick");
  mod_permissions.push_back("moderator");
  TestClient mod(s.loop, s.url, mint_token("mod", mod_permissions));
  for (TestClient* c : {&alice, &bob, &mallory, &mod}) {
    c->connect();
    REQUIRE(c->wait_ready());
  }
  alice.publish("lobby", R"({"req":1,"op":"create","name":"Arena","capacity":4})", true);
  REQUIRE(alice.wait_for([&] { return has_reply(alice, R"("op":"create","ok":true)"); }));
  bob.publish("lobby", R"({"req":1,"op":"join","name":"Arena"})", true);
  REQUIRE(bob.wait_for([&] { return has_reply(bob, R"("op":"join","ok":true)"); }));

  // Once the client knows its permissions it refuses at once...
  CHECK(mallory.publish("lobby:kick", R"({"target":"bob"})", true) == core::SendStatus::PermissionDenied);
  // ...and a kick queued before it knew them is refused by the server.
  TestClient sneaky(s.loop, s.url, mint_token("sneaky", kPlayer));
  REQUIRE(sneaky.publish("lobby:kick", R"({"target":"bob"})", true) == core::SendStatus::Ok);
  sneaky.connect();
  REQUIRE(sneaky.wait_for([&] { return sneaky.count(ClientEvent::Kind::PermissionDenied) == 1; }));
  const ClientEvent* denied = sneaky.find(ClientEvent::Kind::PermissionDenied);
  CHECK(denied->channel == "lobby:kick");
  CHECK(denied->action == "publish");
  REQUIRE(s.app.lobby().room_of("bob") != nullptr);

  mod.publish("lobby:kick", R"({"target":"bob"})", true);
  REQUIRE(bob.wait_for([&] {
    for (const auto& m : bob.messages("room:1")) {
      if (m.data.find(R"("event":"kicked","user":"bob")") != std::string::npos) return true;
    }
    return false;
  }));
  CHECK(s.app.lobby().room_of("bob") == nullptr);
  CHECK(s.app.lobby().room(1)->members == std::vector<std::string>{"alice"});
}

TEST_CASE("lobby server: bad requests and chat from outsiders get clear errors", "[lobby][integration]") {
  LobbyServer s;
  TestClient alice(s.loop, s.url, mint_token("alice", kPlayer));
  TestClient eve(s.loop, s.url, mint_token("eve", kPlayer));
  alice.connect();
  eve.connect();
  REQUIRE(alice.wait_ready());
  REQUIRE(eve.wait_ready());
  alice.publish("lobby", R"({"req":1,"op":"create","name":"Arena","capacity":2})", true);
  REQUIRE(alice.wait_for([&] { return has_reply(alice, R"("ok":true)"); }));

  eve.publish("lobby", R"({"req":2,"op":"teleport"})", true);
  REQUIRE(eve.wait_for([&] { return has_reply(eve, R"("error":"bad_request")"); }));
  eve.publish("room:1", R"({"chat":"let me in"})", true);
  REQUIRE(eve.wait_for([&] { return has_reply(eve, R"("error":"not_in_room")"); }));
  eve.publish("lobby", R"({"req":3,"op":"start"})", true);
  REQUIRE(eve.wait_for([&] { return has_reply(eve, R"("error":"not_in_room")"); }));

  // A member's chat reaches the room, signed with the sender's verified name.
  alice.publish("room:1", R"({"chat":"gg","from":"someone-else","n":1})", true);
  CHECK(alice.wait_for([&] {
    for (const auto& m : alice.messages("room:1")) {
      if (m.data == R"({"from":"alice","chat":"gg","n":1})") return true;
    }
    return false;
  }));
  CHECK(eve.messages("room:1").empty());  // never a member, never told
}
