#pragma once
// The lobby as a Tether server Application: it consumes publishes on the
// lobby channels (request/response) and on room channels (chat, members
// only), and tells room members about changes and chat on "room:<id>".
// Delivery to members is direct (send_to_session), not by subscription: the
// lobby knows who is in a room, so a player never misses a line by racing
// its own subscribe.
#include <map>
#include <string>

#include "lobby.h"
#include "server/application.h"
#include "server/server.h"

namespace lobby {

class LobbyApp : public tether::server::Application {
 public:
  bool on_publish(tether::server::Server& server, const tether::server::SessionInfo& from,
                  std::string_view channel, std::string_view data, bool reliable) override;
  void on_session_started(tether::server::Server& server, const tether::server::SessionInfo& session) override;
  // A player whose session is gone for good leaves their room.
  void on_session_ended(tether::server::Server& server, const tether::server::SessionInfo& session) override;

  // Rooms and who is reachable where survive a graceful restart (--state-file).
  std::string save_state() override;
  bool load_state(std::string_view state) override;

  const Lobby& lobby() const { return lobby_; }

 private:
  void handle_request(tether::server::Server& server, const tether::server::SessionInfo& from,
                      std::string_view channel, std::string_view data);
  void handle_chat(tether::server::Server& server, const tether::server::SessionInfo& from, uint32_t room,
                   std::string_view data);
  void announce(tether::server::Server& server, const std::vector<RoomEvent>& events);
  void send_to_room(tether::server::Server& server, uint32_t room, const std::string& json,
                    const std::string& also_to = {});

  Lobby lobby_;
  std::map<std::string, std::string> session_of_user_;  // the user's latest session
};

}  // namespace lobby
