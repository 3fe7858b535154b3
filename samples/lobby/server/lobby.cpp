#include "lobby.h"

#include <algorithm>

namespace lobby {

const char* lobby_error_code(LobbyError error) {
  switch (error) {
    case LobbyError::None: return "ok";
    case LobbyError::AlreadyInRoom: return "already_in_room";
    case LobbyError::NotInRoom: return "not_in_room";
    case LobbyError::NoSuchRoom: return "no_such_room";
    case LobbyError::RoomFull: return "room_full";
    case LobbyError::MatchStarted: return "match_started";
    case LobbyError::NotHost: return "not_host";
    case LobbyError::NotAllReady: return "not_all_ready";
    case LobbyError::NotEnoughPlayers: return "not_enough_players";
    case LobbyError::InvalidName: return "invalid_name";
    case LobbyError::InvalidCapacity: return "invalid_capacity";
    case LobbyError::NoSuchPlayer: return "no_such_player";
  }
  return "unknown";
}

const char* room_event_name(RoomEvent::Kind kind) {
  switch (kind) {
    case RoomEvent::Kind::Joined: return "joined";
    case RoomEvent::Kind::Left: return "left";
    case RoomEvent::Kind::Kicked: return "kicked";
    case RoomEvent::Kind::Ready: return "ready";
    case RoomEvent::Kind::Unready: return "unready";
    case RoomEvent::Kind::HostChanged: return "host_changed";
    case RoomEvent::Kind::Started: return "started";
    case RoomEvent::Kind::Closed: return "closed";
  }
  return "unknown";
}

LobbyError Lobby::create(const std::string& user, const std::string& name, uint32_t capacity,
                         std::vector<RoomEvent>& events, uint32_t* room_id) {
  if (room_by_user_.count(user) != 0) return LobbyError::AlreadyInRoom;
  if (name.empty() || name.size() > kMaxNameBytes) return LobbyError::InvalidName;
  if (capacity < kMinCapacity || capacity > kMaxCapacity) return LobbyError::InvalidCapacity;
  Room& room = rooms_[next_room_id_];
  room.id = next_room_id_++;
  room.name = name;
  room.capacity = capacity;
  room.host = user;
  room.members.push_back(user);
  room.ready[user] = false;
  room_by_user_[user] = room.id;
  events.push_back({RoomEvent::Kind::Joined, room.id, user});
  if (room_id != nullptr) *room_id = room.id;
  return LobbyError::None;
}

LobbyError Lobby::join(const std::string& user, uint32_t room_id, std::vector<RoomEvent>& events) {
  if (room_by_user_.count(user) != 0) return LobbyError::AlreadyInRoom;
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return LobbyError::NoSuchRoom;
  Room& room = it->second;
  if (room.started) return LobbyError::MatchStarted;
  if (room.members.size() >= room.capacity) return LobbyError::RoomFull;
  room.members.push_back(user);
  room.ready[user] = false;
  room_by_user_[user] = room.id;
  events.push_back({RoomEvent::Kind::Joined, room.id, user});
  return LobbyError::None;
}

LobbyError Lobby::leave(const std::string& user, std::vector<RoomEvent>& events) {
  return remove_member(user, RoomEvent::Kind::Left, events);
}

LobbyError Lobby::kick(const std::string& target, std::vector<RoomEvent>& events) {
  if (room_by_user_.count(target) == 0) return LobbyError::NoSuchPlayer;
  return remove_member(target, RoomEvent::Kind::Kicked, events);
}

LobbyError Lobby::remove_member(const std::string& user, RoomEvent::Kind why, std::vector<RoomEvent>& events) {
  Room* room = mutable_room_of(user);
  if (room == nullptr) return LobbyError::NotInRoom;
  const uint32_t id = room->id;
  room->members.erase(std::find(room->members.begin(), room->members.end(), user));
  room->ready.erase(user);
  room_by_user_.erase(user);
  events.push_back({why, id, user});
  if (room->members.empty()) {
    events.push_back({RoomEvent::Kind::Closed, id, user});
    rooms_.erase(id);
    return LobbyError::None;
  }
  if (room->host == user) {
    // Host migration: the longest-standing member takes over.
    room->host = room->members.front();
    events.push_back({RoomEvent::Kind::HostChanged, id, room->host});
  }
  return LobbyError::None;
}

LobbyError Lobby::set_ready(const std::string& user, bool ready, std::vector<RoomEvent>& events) {
  Room* room = mutable_room_of(user);
  if (room == nullptr) return LobbyError::NotInRoom;
  if (room->started) return LobbyError::MatchStarted;
  room->ready[user] = ready;
  events.push_back({ready ? RoomEvent::Kind::Ready : RoomEvent::Kind::Unready, room->id, user});
  return LobbyError::None;
}

LobbyError Lobby::start(const std::string& user, std::vector<RoomEvent>& events) {
  Room* room = mutable_room_of(user);
  if (room == nullptr) return LobbyError::NotInRoom;
  if (room->started) return LobbyError::MatchStarted;
  if (room->host != user) return LobbyError::NotHost;
  if (room->members.size() < kMinPlayersToStart) return LobbyError::NotEnoughPlayers;
  for (const auto& entry : room->ready) {
    if (!entry.second) return LobbyError::NotAllReady;
  }
  room->started = true;
  events.push_back({RoomEvent::Kind::Started, room->id, user});
  return LobbyError::None;
}

const Room* Lobby::room(uint32_t id) const {
  auto it = rooms_.find(id);
  return it == rooms_.end() ? nullptr : &it->second;
}

const Room* Lobby::room_of(const std::string& user) const {
  auto it = room_by_user_.find(user);
  return it == room_by_user_.end() ? nullptr : room(it->second);
}

uint32_t Lobby::find_room(const std::string& name) const {
  for (const auto& entry : rooms_) {
    if (entry.second.name == name) return entry.first;
  }
  return 0;
}

Room* Lobby::mutable_room_of(const std::string& user) {
  auto it = room_by_user_.find(user);
  if (it == room_by_user_.end()) return nullptr;
  auto room = rooms_.find(it->second);
  return room == rooms_.end() ? nullptr : &room->second;
}

}  // namespace lobby
