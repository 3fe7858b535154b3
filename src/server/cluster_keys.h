#pragma once
// Where a Tether cluster keeps its state in Redis, and what its Lua scripts
// do there (docs/PROTOCOL.md section 11 describes the scheme). Keys are
// binary safe, so a channel name goes in as it is.
//
//   tether:ch:{channel}    a stream: the channel's reliable history, entry id "{offset}-0"
//   tether:meta:{channel}  a hash: epoch (changes when history was lost), top (last offset)
//   tether:pub:{channel}   pub/sub: every message, to the nodes with subscribers
//   tether:s:{session}     a hash: user (the token's subject), node (the node that holds
//                          it), rx (the client's highest committed sequence), depoch
//                          (the epoch of its direct stream when it began)
//   tether:ch:\0direct:{session}, tether:meta:..., tether:pub:...: the session's direct
//                          stream (direct_channel), a channel no client can name
#include <cstdint>
#include <string>
#include <string_view>

#include "core/broker.h"
#include "core/channel_feed.h"
#include "transport/redis_client.h"

namespace tether::server::cluster {

inline std::string stream_key(std::string_view channel) { return "tether:ch:" + std::string(channel); }
inline std::string meta_key(std::string_view channel) { return "tether:meta:" + std::string(channel); }
inline std::string pubsub_channel(std::string_view channel) { return "tether:pub:" + std::string(channel); }
inline std::string session_key(std::string_view session) { return "tether:s:" + std::string(session); }
inline constexpr std::string_view kPubsubPrefix = "tether:pub:";

// What the server application sends to one session goes through that
// session's own stream, under this name: a channel no client can subscribe
// to (it holds NUL), kept and fed like any other. Its entries carry the
// application's channel (pack_direct).
inline std::string direct_channel(std::string_view session) {
  std::string name("\0direct:", 8);
  name.append(session);
  return name;
}
inline bool is_direct_channel(std::string_view channel) { return !channel.empty() && channel[0] == '\0'; }
std::string pack_direct(std::string_view channel, std::string_view data);

// The `error` history_lost a session's client gets: naming the channel, or
// for its direct messages no channel (docs/PROTOCOL.md 11.1). The notice
// refers to `reason`, which the caller keeps.
std::string history_lost_reason(std::string_view channel);
core::Notice history_lost_notice(std::string_view channel, std::string_view epoch, std::string_view reason);

// How a feed's entry reaches a session: on the feed's channel, or for a
// session's direct stream on the application's channel, marked direct.
core::Delivery delivery_of(std::string_view feed_channel, const core::FeedEntry& entry);

// Publishes one message: KEYS stream, meta, session (empty session id: an
// application publish, with no sequence to check); ARGV seq, previous seq,
// history size, a candidate epoch, ttl ms, pub/sub channel, and the message
// header's kind and reliable flags, then the data.
//
// For a client's reliable publish it first checks the session's committed
// sequence `rx`: seq <= rx is a resend of a committed message (answer 0,
// nothing published); rx != previous means the publish before this one was
// never committed (answer -1, nothing published), so a failed commit can
// never be skipped. A session Redis does not know (new, or its record was
// lost with Redis's data) is taken to be where its node says, `previous`:
// the node that holds the session is the authority while it lives. Otherwise it appends to the stream (trimmed to the
// history size), records rx = seq, and publishes to the nodes, all in one
// atomic step. Answer: {1, offset, epoch}. A reliable message gets the next
// offset of its channel; an unreliable one goes only to pub/sub, offset 0.
//
// Keys expire ttl ms after the last publish (history a resume can still
// use); an expired meta hash starts a new epoch, which clients are told of.
inline constexpr const char* kPublishScript = R"lua(
local seq = tonumber(ARGV[1])
if seq > 0 then
  local rx = tonumber(redis.call('HGET', KEYS[3], 'rx') or ARGV[2])
  if seq <= rx then return {0} end
  if rx ~= tonumber(ARGV[2]) then return {-1} end
end
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[4]
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local offset = 0
if ARGV[8] == '1' then
  offset = redis.call('HINCRBY', KEYS[2], 'top', 1)
  redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], offset .. '-0', 'k', ARGV[7], 'd', ARGV[9])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
if seq > 0 then
  redis.call('HSET', KEYS[3], 'rx', seq)
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
end
redis.call('PUBLISH', ARGV[6], offset .. ' ' .. epoch .. ' ' .. ARGV[7] .. ARGV[8] .. ' ' .. ARGV[9])
return {1, offset, epoch}
)lua";

// Claims a session for a node: KEYS session; ARGV user, node, ttl ms.
// Answer {0}: no record of the session for that user (new, expired, or
// another user's id). Else {1, node that held it ("" if none said), rx,
// direct epoch ("" if none)}, and
// the record now names this node. Atomic, so two nodes claiming the same
// session at once are ordered, the later one holding it.
inline constexpr const char* kClaimScript = R"lua(
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then return {0} end
local node = redis.call('HGET', KEYS[1], 'node') or ''
local rx = redis.call('HGET', KEYS[1], 'rx') or '0'
local depoch = redis.call('HGET', KEYS[1], 'depoch') or ''
redis.call('HSET', KEYS[1], 'node', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, node, rx, depoch}
)lua";

// Records a session authenticated on a node: KEYS session, the meta of its
// direct stream; ARGV user, node, ttl ms, a candidate epoch. The direct
// stream gets its epoch now (if it has none), and the session remembers the
// first epoch it had: a recovery that finds another one knows the stream
// lost messages since. Answer: the session's direct epoch.
inline constexpr const char* kRegisterScript = R"lua(
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'node', ARGV[2])
redis.call('HSETNX', KEYS[2], 'epoch', ARGV[4])
redis.call('HSETNX', KEYS[1], 'depoch', redis.call('HGET', KEYS[2], 'epoch'))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return redis.call('HGET', KEYS[1], 'depoch')
)lua";

// Where a channel stands, for a feed starting: KEYS meta; ARGV a candidate
// epoch, ttl ms. A channel nothing was published on gets its epoch now, so
// that every `subscribed` names one. Answer: {epoch, top or nil}.
inline constexpr const char* kTopScript = R"lua(
if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('HMGET', KEYS[1], 'epoch', 'top')
)lua";

// A pub/sub message: "{offset} {epoch} {kind}{reliable} {data}", kind 'j'
// (JSON) or 'b' (bytes), uppercase for a direct message (whose data is
// pack_direct's), reliable '1' or '0'. Parsed by parse_pubsub_message.
struct PubsubMessage {
  uint64_t offset = 0;
  std::string_view epoch;
  bool binary = false;
  bool reliable = false;
  bool direct = false;
  std::string channel;  // a direct message's application channel
  std::string_view data;
};
bool parse_pubsub_message(std::string_view message, PubsubMessage& out);

// A stream entry as XRANGE returns it: ["{offset}-0", ["k", kind, "d", data]];
// a direct one's FeedEntry gets its application channel.
bool parse_stream_entry(const transport::RedisReply& entry, core::FeedEntry& out);

}  // namespace tether::server::cluster
