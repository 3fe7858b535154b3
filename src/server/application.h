#pragma once
// Hooks through which an application embeds the server. Every default keeps
// plain pub/sub behaviour, so `nullptr` (no Application) is a pub/sub server.
#include <string>
#include <string_view>

#include "core/message.h"
#include "core/permissions.h"

namespace tether::server {

class Server;

// Who a hook is about. Valid only during the call: copy what you keep.
struct SessionInfo {
  std::string session_id;
  std::string user_id;                       // the token's subject
  const core::PermissionSet* permissions = nullptr;  // never null inside a hook
};

// Hooks run on the loop thread and may call back into the Server (reply with
// send_to_session, publish ...). An exception thrown from a hook is logged
// and otherwise ignored.
class Application {
 public:
  virtual ~Application() = default;

  // An authorized publish (the core already checked the publish permission).
  // Return true to consume it: no fan-out (e.g. request/response on "lobby").
  virtual bool on_publish(Server& server, const SessionInfo& from, std::string_view channel,
                          std::string_view data, bool reliable) {
    (void)server, (void)from, (void)channel, (void)data, (void)reliable;
    return false;
  }
  // The same for a binary payload (opaque bytes, never JSON); a separate
  // hook so that an application written for JSON never reads bytes as JSON.
  virtual bool on_publish_binary(Server& server, const SessionInfo& from, std::string_view channel,
                                 std::string_view bytes, bool reliable) {
    (void)server, (void)from, (void)channel, (void)bytes, (void)reliable;
    return false;
  }

  // A new session authenticated (not called for a resume).
  virtual void on_session_started(Server& server, const SessionInfo& session) {
    (void)server, (void)session;
  }

  // A session is forgotten for good: its resume TTL passed, it was dropped as
  // a slow consumer, or the server shut down.
  virtual void on_session_ended(Server& server, const SessionInfo& session) {
    (void)server, (void)session;
  }

  // Persistence across a graceful restart (--state-file): the application's
  // state as text, saved beside the sessions, and handed back before the
  // restarted server accepts connections. Return false if it is unusable.
  virtual std::string save_state() { return {}; }
  virtual bool load_state(std::string_view state) {
    (void)state;
    return true;
  }
};

}  // namespace tether::server
