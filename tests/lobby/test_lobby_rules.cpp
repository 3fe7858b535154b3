#include <catch2/catch.hpp>

#include "lobby.h"
#include "lobby_protocol.h"

using namespace lobby;

namespace {
bool has_event(const std::vector<RoomEvent>& events, RoomEvent::Kind kind, const std::string& user) {
  for (const auto& e : events) {
    if (e.kind == kind && e.user == user) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("rooms enforce their capacity", "[lobby]") {
  Lobby lobby;
  std::vector<RoomEvent> events;
  uint32_t room = 0;
  REQUIRE(lobby.create("alice", "arena", 2, events, &room) == LobbyError::None);
  CHECK(lobby.join("bob", room, events) == LobbyError::None);
  CHECK(lobby.join("carol", room, events) == LobbyError::RoomFull);
  CHECK(lobby.room(room)->members.size() == 2);
  CHECK(lobby.join("bob", room, events) == LobbyError::AlreadyInRoom);
  CHECK(lobby.join("dave", 999, events) == LobbyError::NoSuchRoom);
  CHECK(lobby.create("erin", "x", 1, events, nullptr) == LobbyError::InvalidCapacity);
  CHECK(lobby.create("erin", "x", 17, events, nullptr) == LobbyError::InvalidCapacity);
  CHECK(lobby.create("erin", "", 4, events, nullptr) == LobbyError::InvalidName);
}

TEST_CASE("only the host starts, and only when everyone is ready", "[lobby]") {
  Lobby lobby;
  std::vector<RoomEvent> events;
  uint32_t room = 0;
  lobby.create("alice", "arena", 4, events, &room);
  CHECK(lobby.start("alice", events) == LobbyError::NotEnoughPlayers);
  lobby.join("bob", room, events);
  CHECK(lobby.start("bob", events) == LobbyError::NotHost);
  lobby.set_ready("alice", true, events);
  CHECK(lobby.start("alice", events) == LobbyError::NotAllReady);
  lobby.set_ready("bob", true, events);
  events.clear();
  CHECK(lobby.start("alice", events) == LobbyError::None);
  CHECK(has_event(events, RoomEvent::Kind::Started, "alice"));
  CHECK(lobby.room(room)->started);
  // No joining, readying or starting a started match.
  CHECK(lobby.join("carol", room, events) == LobbyError::MatchStarted);
  CHECK(lobby.set_ready("bob", false, events) == LobbyError::MatchStarted);
  CHECK(lobby.start("alice", events) == LobbyError::MatchStarted);
  CHECK(lobby.start("zed", events) == LobbyError::NotInRoom);
}

TEST_CASE("the host role migrates when the host leaves, an empty room closes", "[lobby]") {
  Lobby lobby;
  std::vector<RoomEvent> events;
  uint32_t room = 0;
  lobby.create("alice", "arena", 4, events, &room);
  lobby.join("bob", room, events);
  lobby.join("carol", room, events);
  events.clear();
  REQUIRE(lobby.leave("alice", events) == LobbyError::None);
  CHECK(lobby.room(room)->host == "bob");
  CHECK(has_event(events, RoomEvent::Kind::Left, "alice"));
  CHECK(has_event(events, RoomEvent::Kind::HostChanged, "bob"));
  // The new host has the host's powers.
  lobby.set_ready("bob", true, events);
  lobby.set_ready("carol", true, events);
  CHECK(lobby.start("carol", events) == LobbyError::NotHost);
  lobby.leave("bob", events);
  CHECK(lobby.room(room)->host == "carol");
  events.clear();
  lobby.leave("carol", events);
  CHECK(lobby.room(room) == nullptr);
  CHECK(has_event(events, RoomEvent::Kind::Closed, "carol"));
  CHECK(lobby.leave("carol", events) == LobbyError::NotInRoom);
}

TEST_CASE("kick removes a player like a leave, host included", "[lobby]") {
  Lobby lobby;
  std::vector<RoomEvent> events;
  uint32_t room = 0;
  lobby.create("alice", "arena", 4, events, &room);
  lobby.join("bob", room, events);
  events.clear();
  CHECK(lobby.kick("alice", events) == LobbyError::None);
  CHECK(has_event(events, RoomEvent::Kind::Kicked, "alice"));
  CHECK(lobby.room(room)->host == "bob");
  CHECK(lobby.kick("nobody", events) == LobbyError::NoSuchPlayer);
}

TEST_CASE("malformed requests are refused with a reason", "[lobby]") {
  Request request;
  std::string error;
  CHECK_FALSE(parse_request(kLobbyChannel, "{nope", request, error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(parse_request(kLobbyChannel, "[1,2]", request, error));
  CHECK_FALSE(parse_request(kLobbyChannel, R"({"op":"fly"})", request, error));
  CHECK_FALSE(parse_request(kLobbyChannel, R"({"op":"create","name":"x"})", request, error));
  CHECK_FALSE(parse_request(kLobbyChannel, R"({"op":"create","name":"x","capacity":-3})", request, error));
  CHECK_FALSE(parse_request(kLobbyChannel, R"({"op":"join","room":"one"})", request, error));
  CHECK_FALSE(parse_request(kLobbyChannel, R"({"op":"join"})", request, error));
  CHECK_FALSE(parse_request(kLobbyChannel, R"({"op":"list","req":"7"})", request, error));
  CHECK_FALSE(parse_request(kKickChannel, R"({"req":1})", request, error));
  REQUIRE(parse_request(kLobbyChannel, R"({"op":"join","room":3,"req":9})", request, error));
  CHECK(request.op == Op::Join);
  CHECK(request.room == 3);
  CHECK(request.req == 9);
  REQUIRE(parse_request(kKickChannel, R"({"target":"bob"})", request, error));
  CHECK(request.op == Op::Kick);
  CHECK(request.target == "bob");
}

TEST_CASE("room channels and chat relay", "[lobby]") {
  CHECK(parse_room_channel("room:12") == 12);
  CHECK(parse_room_channel("room:") == 0);
  CHECK(parse_room_channel("room:1x") == 0);
  CHECK(parse_room_channel("lobby") == 0);
  std::string out;
  REQUIRE(relay_chat(R"({"chat":"gg","n":3,"from":"forged"})", "alice", out));
  CHECK(out == R"({"from":"alice","chat":"gg","n":3})");
  CHECK_FALSE(relay_chat(R"({"text":"gg"})", "alice", out));
}
