#pragma once
// What one client may make the server hold or relay, beyond its frame limits
// (CodecLimits) and its delivery buffer (ReliableConfig). Each bound is a
// tether-server flag; docs/PROTOCOL.md section 3.7 lists them with what the
// client sees at the limit. Hitting one is always an explicit outcome.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/codec.h"
#include "core/message.h"
#include "core/reliable_receiver.h"

namespace tether::core {

struct ServerLimits {
  // Bytes of the out-of-order reliable messages held from one client while
  // it fills a gap (held_bytes: channel, payload and a fixed overhead per
  // message; their count is also bounded by the receive window). One that would exceed it is not accepted and not acked: the
  // client resends it, and it is delivered once the gap before it fills.
  size_t max_receive_buffer_bytes = 1u << 20;
  // Channels one session may be subscribed to. One more is refused with
  // permission_denied, code too_many_subscriptions.
  size_t max_subscriptions = 1024;
};

// nullptr if usable, else a static description of the first problem.
inline const char* validate(const ServerLimits& limits) {
  if (limits.max_receive_buffer_bytes == 0) return "max receive buffer bytes must be > 0";
  if (limits.max_subscriptions == 0) return "max subscriptions must be > 0";
  return nullptr;
}

// What holding one out-of-order message costs beyond its channel and
// payload: the Message itself and its node in the receiver's map.
constexpr size_t kHeldMessageOverhead = sizeof(Message) + 64;

// The memory, in bytes, the receiver's out-of-order buffer is accounted to
// hold: what max_receive_buffer_bytes bounds.
inline size_t held_bytes(const ReliableReceiver& receiver) {
  return receiver.buffered_bytes() + receiver.buffered() * kHeldMessageOverhead;
}

// Whether a publish of `data_bytes` on `channel` still fits in a frame of
// `max_frame_bytes` once fan-out adds its envelope (timestamp, id,
// requireAck, base, and for a subscriber that tracks positions offset and
// direct). It is the bound a conforming client checks against the
// advertised maxFrame before sending, so such a client is never refused.
inline bool fits_fan_out(std::string_view channel, size_t data_bytes, size_t max_frame_bytes) {
  return channel_message_bound(channel, data_bytes, true) <= max_frame_bytes;
}

// Stable `code`s of the server's refusals (permission_denied, unsubscribed, error).
namespace refusal {
constexpr const char* kTooLarge = "too_large";                  // publish: fan-out would exceed the frame limit
constexpr const char* kInvalidChannel = "invalid_channel";      // not 1..256 bytes of UTF-8 without NUL
constexpr const char* kTooManySubscriptions = "too_many_subscriptions";
constexpr const char* kPermissionRevoked = "permission_revoked";  // unsubscribed by the server
}  // namespace refusal

}  // namespace tether::core
