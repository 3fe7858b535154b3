#pragma once
// One transport connection inside the ServerEndpoint. Private to
// server_endpoint*.cpp.
#include <cstddef>
#include <cstdint>

#include "core/server_endpoint.h"

namespace tether::core {

struct ServerEndpoint::Connection {
  Connection(const ServerConfig& config, const TokenAuthority& authority, SessionTable& table,
             SessionScratch& scratch, ConnectionId connection_id)
      : session(config, authority, table, scratch, connection_id), id(connection_id) {}

  ServerSession session;
  const ConnectionId id;
  bool dirty = false;     // listed in dirty_ and not yet returned by poll_dirty
  bool writable = true;   // the runtime's word on its socket (set_writable)
  // Since it stopped being writable: bytes received, plus an estimate of the
  // error replies they caused (a tiny bad message can cost a 60-byte error).
  // Their replies cannot be written, so they wait in the session.
  size_t unanswered_bytes = 0;
  bool dropped_for_not_reading = false;  // over the bound once: a 4008 is on its way
  // WebSocket pongs queued in the transport since its queue last shrank
  // (handle_ping), counted at what each costs, and that queue's size then.
  size_t queued_pong_bytes = 0;
  size_t queued_at_last_ping = 0;
  // Pings it may have answered now (a bucket refilled per second).
  uint32_t ping_tokens = ServerEndpoint::kAnsweredPingsPerSecond;
  TimeMs ping_tokens_at = 0;
  // ClientError events since error_window_start; beyond max_error_reports
  // they are counted in suppressed_errors until the next one reported.
  uint32_t error_reports = 0;
  TimeMs error_window_start = 0;
  uint64_t suppressed_errors = 0;
};

}  // namespace tether::core
