#pragma once
// How the transport layer names a connection.
#include <cstdint>

namespace tether::transport {

// Identifies one connection of a WsClient or a WsServer. Ids start at 1 and
// are never reused by the same object, so a stale id can never reach a newer
// connection: calls with it are harmless no-ops.
using ConnectionId = uint64_t;

inline constexpr ConnectionId kNoConnection = 0;

}  // namespace tether::transport
