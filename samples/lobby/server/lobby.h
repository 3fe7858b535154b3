#pragma once
// Authoritative lobby rules, as plain logic with no JSON and no networking:
// rooms with a capacity, join/leave, ready, a host who starts the match when
// everyone is ready, host migration, and kicks. The lobby server translates
// requests and replies; the rules live here so they can be tested alone.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lobby {

// Stable error codes sent to clients.
enum class LobbyError {
  None,
  AlreadyInRoom,
  NotInRoom,
  NoSuchRoom,
  RoomFull,
  MatchStarted,
  NotHost,
  NotAllReady,
  NotEnoughPlayers,
  InvalidName,
  InvalidCapacity,
  NoSuchPlayer,
};
const char* lobby_error_code(LobbyError error);

struct Room {
  uint32_t id = 0;
  std::string name;
  uint32_t capacity = 0;
  std::string host;                  // user id
  std::vector<std::string> members;  // join order; members[0] is next in line for host
  std::map<std::string, bool> ready;
  bool started = false;
};

// Something every member of a room should hear about.
struct RoomEvent {
  enum class Kind { Joined, Left, Kicked, Ready, Unready, HostChanged, Started, Closed };
  Kind kind;
  uint32_t room = 0;
  std::string user;  // who it is about
};
const char* room_event_name(RoomEvent::Kind kind);

class Lobby {
 public:
  static constexpr uint32_t kMinCapacity = 2;
  static constexpr uint32_t kMaxCapacity = 16;
  static constexpr size_t kMaxNameBytes = 48;
  static constexpr size_t kMinPlayersToStart = 2;

  // Each command returns LobbyError::None on success and appends what the
  // room members should be told to `events`.
  LobbyError create(const std::string& user, const std::string& name, uint32_t capacity,
                    std::vector<RoomEvent>& events, uint32_t* room_id);
  LobbyError join(const std::string& user, uint32_t room_id, std::vector<RoomEvent>& events);
  LobbyError leave(const std::string& user, std::vector<RoomEvent>& events);
  LobbyError set_ready(const std::string& user, bool ready, std::vector<RoomEvent>& events);
  LobbyError start(const std::string& user, std::vector<RoomEvent>& events);
  // Permission to kick is checked by the server (a channel permission).
  LobbyError kick(const std::string& target, std::vector<RoomEvent>& events);

  // Persistence across a server restart, as one line of JSON.
  std::string save() const;
  bool load(const std::string& json);

  const Room* room(uint32_t id) const;
  const Room* room_of(const std::string& user) const;
  // The first room with this name, or 0.
  uint32_t find_room(const std::string& name) const;
  const std::map<uint32_t, Room>& rooms() const { return rooms_; }

 private:
  LobbyError remove_member(const std::string& user, RoomEvent::Kind why, std::vector<RoomEvent>& events);
  Room* mutable_room_of(const std::string& user);

  std::map<uint32_t, Room> rooms_;
  std::map<std::string, uint32_t> room_by_user_;
  uint32_t next_room_id_ = 1;
};

}  // namespace lobby
