#pragma once
// One WebSocket connection as the Server runtime sees it. Private to
// src/server: server.cpp and server_backpressure.cpp share it.
#include <cstddef>

#include "core/server_session.h"
#include "server/server.h"

namespace tether::server {

struct Server::Connection {
  Connection(const core::ServerConfig& config, const core::TokenAuthority& authority, core::SessionTable& table,
             ConnectionId connection_id)
      : session(config, authority, table, connection_id), id(connection_id) {}

  core::ServerSession session;
  const ConnectionId id;
  transport::TimerId timer = transport::kNoTimer;
  core::TimeMs timer_at = core::kNever;  // when `timer` fires
  bool dirty = false;                    // queued in dirty_
  // Whether the transport's send buffer was over its bound when last asked.
  bool write_blocked = false;
  // Since it went over: bytes received, plus an estimate of the error
  // replies they caused (a tiny bad message can cost a 60-byte error). Their
  // replies cannot be written, so they wait in the session.
  size_t unanswered_bytes = 0;
};

}  // namespace tether::server
