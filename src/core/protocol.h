#pragma once
// Names and numbers both ends of the protocol agree on (docs/PROTOCOL.md),
// defined once for the client, the server and the transports.
#include <cstdint>

namespace tether::core {

// The WebSocket subprotocol a client offers and the server selects.
constexpr const char* kSubprotocol = "tether.v1";

// Well-known close codes (docs/PROTOCOL.md 3.5).
namespace close_code {
constexpr uint16_t kNormal = 1000;
constexpr uint16_t kGoingAway = 1001;
constexpr uint16_t kAbnormal = 1006;  // no close frame (set by transports, never sent)
constexpr uint16_t kUnsupportedData = 1003;  // a binary frame where none was negotiated
constexpr uint16_t kTooBig = 1009;
constexpr uint16_t kTryAgainLater = 1013;
constexpr uint16_t kHeartbeatTimeout = 4000;
constexpr uint16_t kAuthFailed = 4001;
constexpr uint16_t kAuthTimeout = 4002;
constexpr uint16_t kTokenExpired = 4003;
constexpr uint16_t kProtocolError = 4004;
constexpr uint16_t kSessionReplaced = 4005;
constexpr uint16_t kSlowConsumer = 4008;
}  // namespace close_code

}  // namespace tether::core
