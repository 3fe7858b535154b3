#pragma once
// The protocol's messages as plain data. docs/PROTOCOL.md is the normative
// description; field names in comments are the JSON keys on the wire.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tether::core {

enum class MessageType : uint8_t {
  Channel,           // no "type" (or "type":"message"): an application message on a channel
  Auth,              // "auth"            client -> server, first message after open
  AuthSuccess,       // "auth_success"    server -> client
  AuthFailed,        // "auth_failed"     server -> client, followed by close 4001
  Ping,              // "ping"            either direction
  Pong,              // "pong"            echoes the ping's timestamp
  Ack,               // "ack"             acknowledges reliable channel messages
  RefreshToken,      // "refresh_token"   client -> server
  TokenRefresh,      // "token_refresh"   server -> client, carries the new token
  RefreshFailed,     // "refresh_failed"  server -> client
  PermissionDenied,  // "permission_denied" server -> client
  Subscribe,         // "subscribe"       client -> server
  Unsubscribe,       // "unsubscribe"     client -> server
  Subscribed,        // "subscribed"      server -> client, confirms a subscribe
  Unsubscribed,      // "unsubscribed"    server -> client, confirms an unsubscribe
  Error,             // "error"           either direction: a protocol-level complaint
};

// What a channel message's "data" holds. Json: one JSON value, as text (a
// text frame). Binary: opaque application bytes (a binary frame's record,
// docs/PROTOCOL.md section 5.1), on connections that negotiated it.
enum class PayloadKind : uint8_t { Json, Binary };

// The wire name of `type` ("auth", ...); "message" for Channel.
std::string_view message_type_name(MessageType type) noexcept;

// One decoded or to-be-encoded message. Which fields matter depends on
// `type`; the rest keep their defaults. Zero/empty means "absent" for every
// optional field (sequence numbers start at 1, timestamps are never 0 on the wire).
struct Message {
  MessageType type = MessageType::Channel;

  // Channel: "channel", "data" (raw JSON text, any JSON value), "timestamp".
  // Reliable channel messages also carry "id" (the sender's per-session
  // sequence number, >= 1), "requireAck":true and "base" (the lowest sequence
  // the sender has not resolved; the receiver stops waiting for anything below it).
  // Subscribe/Unsubscribe/Subscribed/Unsubscribed/PermissionDenied use "channel" too.
  std::string channel;
  std::string data;
  int64_t timestamp = 0;  // "timestamp": ms; Channel, Ping, Pong
  uint64_t id = 0;        // "id"
  bool require_ack = false;  // "requireAck"
  uint64_t base = 0;      // "base"
  PayloadKind payload = PayloadKind::Json;  // Binary only from a binary frame

  // Ack: "messageId" acknowledges exactly one id; "upTo" every id <= upTo.
  // PermissionDenied: "messageId" names the denied reliable message, if any.
  uint64_t message_id = 0;
  uint64_t up_to = 0;
  // Ack: "resend":true, the receiver let messages after upTo go without
  // acking them (its host had stopped draining) and takes them again now:
  // resend what is unacked without waiting for the ack timers (section 6.5).
  bool resend = false;

  // Auth: "token", optional resume ("session" + "lastSeq"), "window" and "maxFrame".
  // RefreshToken: "token". TokenRefresh: "newToken" (stored in `token`), "expiresAt".
  std::string token;
  std::string session;     // "session": opaque session id
  uint64_t last_seq = 0;   // "lastSeq": highest contiguous sequence the sender delivered to its app
  uint32_t window = 0;     // "window": how far past lastSeq the sender accepts out-of-order ids
  // Auth: "binary", the client takes and may send binary frames. AuthSuccess:
  // "binary", the server agrees, for this connection (section 5.1).
  bool binary = false;
  // Auth: "offsets", the client keeps a position per channel (the offset of
  // the last stream message it got) and sends it back in `subscribe`, so a
  // cluster node can continue where another stopped (docs/PROTOCOL.md 11.1).
  bool offsets = false;

  // Cluster positions (section 11.1). Channel server -> client: "offset",
  // the message's place in its channel's stream (0: none, e.g. unreliable).
  // Subscribe: "epoch" + "offset", where the client stands in that channel.
  // Subscribed: "epoch" + "offset", where the subscription starts: messages
  // after that offset follow. Error "history_lost": "channel" and "epoch",
  // the channel's epoch from now on.
  uint64_t offset = 0;
  std::string epoch;
  // Channel server -> client: "direct", a message the server application
  // sent to this session (not a channel's fan-out); its `offset` is its
  // place in the session's own stream. Auth: "directOffset", the offset of
  // the last direct message the client got (section 11.1).
  bool direct = false;
  uint64_t direct_offset = 0;

  // AuthSuccess: "permissions", "session", "resumed", "lastSeq", "expiresAt", "userId", "window",
  // "maxFrame", "maxBatch", "binary". TokenRefresh: "permissions" too.
  std::vector<std::string> permissions;
  // TokenRefresh: "permissions" was present. There an empty list means "no
  // permissions" while an absent one means a v1 server did not say.
  bool has_permissions = false;
  bool resumed = false;    // "resumed"
  // AuthSuccess: "recovered" (with "resumed"), the session was taken over
  // from another cluster node: the client's sends resume as on any resume,
  // but the server numbers its own messages afresh from 1 and holds none of
  // the client's subscriptions (section 11.1).
  bool recovered = false;
  int64_t expires_at = 0;  // "expiresAt": token expiry, Unix ms
  std::string user_id;     // "userId"
  uint64_t max_frame = 0;  // "maxFrame": the largest frame, in bytes, the sender accepts
  uint32_t max_batch = 0;  // "maxBatch": the most messages per batch the sender accepts

  // AuthFailed, RefreshFailed, PermissionDenied, Error, Unsubscribed: "reason" (human text),
  // "code" (stable machine string, e.g. "token_expired"). PermissionDenied: "action".
  std::string reason;
  std::string code;
  std::string action;  // "publish" or "subscribe"
};

}  // namespace tether::core
