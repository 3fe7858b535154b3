#pragma once
// Persisting server sessions across a restart: a graceful shutdown writes
// every session (identity, permissions, subscriptions, reliable state and
// undelivered messages) as JSON; the next start reads it back, so clients
// resume as if the server had never gone away.
#include <string>
#include <string_view>

#include "core/reliable_sender.h"
#include "core/session_table.h"
#include "core/time.h"

namespace tether::core {

// `app_state` is the embedding application's own state, stored verbatim.
std::string snapshot_sessions(const SessionTable& table, std::string_view app_state = {});

struct RestoreResult {
  bool ok = false;       // false: the text is not a valid snapshot; nothing was restored
  size_t restored = 0;   // sessions now parked in the table
  std::string app_state; // as given to snapshot_sessions
  std::string error;
  std::vector<std::shared_ptr<SessionState>> sessions;  // the restored ones
};

// Sessions come back parked until now + ttl, waiting for their clients.
RestoreResult restore_sessions(std::string_view snapshot, SessionTable& table, const ReliableConfig& reliable,
                               uint32_t receive_window, TimeMs now, TimeMs ttl);

}  // namespace tether::core
