#include "lobby_app.h"

#include "lobby_protocol.h"

namespace lobby {

using tether::server::Server;
using tether::server::SessionInfo;

bool LobbyApp::on_publish(Server& server, const SessionInfo& from, std::string_view channel,
                          std::string_view data, bool reliable) {
  (void)reliable;
  session_of_user_[from.user_id] = from.session_id;
  if (channel == kLobbyChannel || channel == kKickChannel) {
    handle_request(server, from, channel, data);
    return true;
  }
  if (const uint32_t room = parse_room_channel(channel)) {
    handle_chat(server, from, room, data);
    return true;
  }
  return false;  // anything else is plain pub/sub
}

void LobbyApp::handle_request(Server& server, const SessionInfo& from, std::string_view channel,
                              std::string_view data) {
  Request request;
  std::string problem;
  if (!parse_request(channel, data, request, problem)) {
    server.send_to_session(from.session_id, kLobbyChannel, reply_error(request, "bad_request", problem), true);
    return;
  }
  std::vector<RoomEvent> events;
  LobbyError error = LobbyError::None;
  const std::string& user = from.user_id;
  switch (request.op) {
    case Op::List: break;
    case Op::Create: error = lobby_.create(user, request.name, request.capacity, events, nullptr); break;
    case Op::Join: {
      const uint32_t room = request.room != 0 ? request.room : lobby_.find_room(request.name);
      error = lobby_.join(user, room, events);
      break;
    }
    case Op::Leave: error = lobby_.leave(user, events); break;
    case Op::Ready: error = lobby_.set_ready(user, true, events); break;
    case Op::Unready: error = lobby_.set_ready(user, false, events); break;
    case Op::Start: error = lobby_.start(user, events); break;
    case Op::Kick: error = lobby_.kick(request.target, events); break;
  }
  const std::string reply = error == LobbyError::None
                                ? reply_ok(request, lobby_, user)
                                : reply_error(request, lobby_error_code(error), "request refused by the lobby rules");
  server.send_to_session(from.session_id, kLobbyChannel, reply, true);
  announce(server, events);
}

void LobbyApp::handle_chat(Server& server, const SessionInfo& from, uint32_t room, std::string_view data) {
  Request request;
  const Room* current = lobby_.room_of(from.user_id);
  if (current == nullptr || current->id != room) {
    server.send_to_session(from.session_id, kLobbyChannel,
                           reply_error(request, "not_in_room", "chat only in the room you are in"), true);
    return;
  }
  std::string relayed;
  if (!relay_chat(data, from.user_id, relayed)) {
    server.send_to_session(from.session_id, kLobbyChannel,
                           reply_error(request, "bad_request", "chat is {\"chat\": string}"), true);
    return;
  }
  // Relayed with the sender's verified identity, so nobody can chat as someone else.
  send_to_room(server, room, relayed);
}

void LobbyApp::announce(Server& server, const std::vector<RoomEvent>& events) {
  for (const RoomEvent& event : events) {
    // Whoever left or was kicked hears it too: they are no longer a member.
    send_to_room(server, event.room, room_event_json(event, lobby_), event.user);
  }
}

void LobbyApp::send_to_room(Server& server, uint32_t room_id, const std::string& json, const std::string& also_to) {
  const std::string channel = room_channel(room_id);
  auto deliver = [&](const std::string& user) {
    auto session = session_of_user_.find(user);
    if (session != session_of_user_.end()) server.send_to_session(session->second, channel, json, true);
  };
  const Room* room = lobby_.room(room_id);
  bool also_to_is_member = false;
  if (room != nullptr) {
    for (const std::string& member : room->members) {
      deliver(member);
      also_to_is_member |= member == also_to;
    }
  }
  if (!also_to.empty() && !also_to_is_member) deliver(also_to);
}

void LobbyApp::on_session_started(Server&, const SessionInfo& session) {
  session_of_user_[session.user_id] = session.session_id;
}

void LobbyApp::on_session_ended(Server& server, const SessionInfo& session) {
  auto latest = session_of_user_.find(session.user_id);
  // An older session of a player who has a newer one changes nothing.
  if (latest == session_of_user_.end() || latest->second != session.session_id) return;
  std::vector<RoomEvent> events;
  if (lobby_.leave(session.user_id, events) == LobbyError::None) announce(server, events);
  session_of_user_.erase(session.user_id);
}

std::string LobbyApp::save_state() {
  // Two lines: the rooms, then user<TAB>session pairs (ids and user names
  // contain neither tabs nor newlines).
  std::string out = lobby_.save();
  for (const auto& entry : session_of_user_) out += "\n" + entry.first + "\t" + entry.second;
  return out;
}

bool LobbyApp::load_state(std::string_view state) {
  if (state.empty()) return true;
  const size_t end_of_rooms = state.find('\n');
  if (!lobby_.load(std::string(state.substr(0, end_of_rooms)))) return false;
  session_of_user_.clear();
  size_t at = end_of_rooms;
  while (at != std::string_view::npos && at < state.size()) {
    const size_t next = state.find('\n', at + 1);
    const std::string_view line = state.substr(at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
    const size_t tab = line.find('\t');
    if (tab != std::string_view::npos) session_of_user_[std::string(line.substr(0, tab))] = std::string(line.substr(tab + 1));
    at = next;
  }
  return true;
}

}  // namespace lobby
