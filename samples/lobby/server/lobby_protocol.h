#pragma once
// The lobby's JSON messages on the "lobby" channel (requests and replies)
// and on "room:<id>" channels (room events and chat). See samples/lobby/README.md.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lobby.h"

namespace lobby {

inline constexpr const char* kLobbyChannel = "lobby";
// Kicking is publishing here, so the server's channel permissions decide who
// may kick: only tokens with publish:lobby:kick (moderators).
inline constexpr const char* kKickChannel = "lobby:kick";

enum class Op { List, Create, Join, Leave, Ready, Unready, Start, Kick };
const char* op_name(Op op);

struct Request {
  Op op = Op::List;
  int64_t req = 0;  // the client's request id, echoed in the reply
  std::string name;
  uint32_t capacity = 0;
  uint32_t room = 0;
  std::string target;
};

// Parses a request published on `channel`. On failure returns false and sets
// `error` to a message for the client (the reply code is "bad_request").
bool parse_request(std::string_view channel, std::string_view json, Request& out, std::string& error);

std::string room_channel(uint32_t room_id);
// The room id of a "room:<id>" channel, or 0.
uint32_t parse_room_channel(std::string_view channel);

std::string reply_ok(const Request& request, const Lobby& lobby, const std::string& user);
std::string reply_error(const Request& request, const std::string& code, const std::string& message);
std::string room_event_json(const RoomEvent& event, const Lobby& lobby);
// Chat as relayed by the server: {"from":user,"chat":text,"n":n}. Returns
// false if `json` is not a chat object {"chat":string[,"n":int]}.
bool relay_chat(std::string_view json, const std::string& from, std::string& out);

}  // namespace lobby
