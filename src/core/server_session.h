#pragma once
// The server side of one transport connection, in the same sans-I/O shape as
// ClientSession. Before auth it only accepts `auth` (and ping); after auth it
// attaches to a SessionState, new or resumed, which outlives the connection.
// Channel routing (fan-out) is the application's: it receives Publish and
// Subscribe events and queues messages with SessionState::enqueue().
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/broker.h"
#include "core/client_session.h"
#include "core/codec.h"
#include "core/session_outbox.h"
#include "core/jwt.h"
#include "core/server_limits.h"
#include "core/session_table.h"
#include "core/time.h"

namespace tether::core {

// Server -> client delivery. A client that stops reading (its host stopped
// pumping) neither delivers nor acks, but it still pings: it is slow, not
// gone. So nothing is failed by retry count; resends back off instead, at
// most the client's auth `window` (and max_in_flight) messages are in flight,
// the rest wait in the session's queue, and only the byte bound on queued
// plus unacked messages (max_buffered_bytes) drops it as a slow consumer (4008).
inline ReliableConfig server_reliable_defaults() {
  ReliableConfig c;
  c.max_in_flight = 4096;
  c.retry_forever = true;
  c.ack_backoff = 2;
  c.max_ack_timeout_ms = 30000;
  c.queue_max_messages = 65536;
  c.queue_max_bytes = 16u << 20;
  c.max_buffered_bytes = 16u << 20;
  return c;
}

struct ServerConfig {
  TimeMs auth_timeout_ms = 10000;   // open -> valid auth, else close 4002
  TimeMs idle_timeout_ms = 60000;   // nothing received for this long: the client is gone
  TimeMs resume_ttl_ms = 120000;    // how long a dropped session can be resumed
  // Server -> client delivery; its queue and byte bound are the session's
  // buffer (also while parked), whose overflow is a slow consumer (4008).
  ReliableConfig reliable = server_reliable_defaults();
  CodecLimits limits;
  uint32_t receive_window = 4096;
  // Bounds on what one client may make the server hold (server_limits.h).
  ServerLimits client_limits;
  int64_t wall_clock_offset_ms = 0;  // unix_ms = now + offset (token expiry)
  // Set by the ServerEndpoint when its broker commits asynchronously
  // (Broker::commits_async): reliable publishes are acked only once committed.
  bool async_commits = false;
  // Likewise (Broker::confirms_subscriptions): `subscribed` goes to the client
  // only once the broker has the subscription in force (confirm_subscription).
  bool async_subscriptions = false;
  // Set by the ServerEndpoint when its broker keeps sessions in the cluster
  // (Broker::recovers_sessions): an auth that names a session waits for the
  // cluster's claim (ClaimSession, complete_claim) before it is answered.
  bool cluster_sessions = false;
};

const char* validate(const ServerConfig& config);

struct ServerEvent {
  enum class Kind : uint8_t {
    Authenticated,  // user_id, resumed (state() is set)
    Publish,        // channel, data, payload, reliable, message_id: permission already checked
    Subscribed,     // channel: permission checked and recorded in state()->subscriptions
    Unsubscribed,   // channel; code "permission_revoked" when the server dropped it
    AuthFailed,     // code, reason (the connection is being closed)
    TokenRefreshed, // a new token was issued; permissions may have changed
    Error,          // code, reason: bad input from the client; the session carries on
    ClaimSession,   // session_id, user_id: an auth waits for the cluster's word (cluster_sessions)
  };
  Kind kind = Kind::Error;
  bool resumed = false;
  bool reliable = false;
  PayloadKind payload = PayloadKind::Json;
  uint64_t message_id = 0;
  uint64_t previous_seq = 0;  // Publish, with async_commits: CommitTracker::begin's answer
  bool recovered = false;     // Authenticated: taken over from another node
  std::string channel;
  std::string data;
  std::string user_id;
  std::string session_id;     // ClaimSession
  // Subscribed: where the client stands in the channel, if it said.
  // Authenticated, recovered: where it stands in its direct stream.
  ChannelPosition position;
  std::string code;
  std::string reason;
};

// Decoding buffers that all sessions of one endpoint share. A frame is
// decoded and handled within one call, so one set serves every session, and
// an idle one keeps none: a set of its own stayed as large as its largest
// batch (up to 4096 decoded messages of ~400 bytes) for as long as the
// connection lived.
struct SessionScratch {
  std::vector<Message> decoded;
  std::vector<Message> ready;  // reliable messages the receiver released in order
  std::vector<DecodeIssue> issues;
  // After a frame: frees what a large batch left behind.
  void trim();
};

class ServerSession {
 public:
  // `scratch` must outlive the session (the endpoint owns both).
  ServerSession(const ServerConfig& config, const TokenAuthority& authority, SessionTable& table,
                SessionScratch& scratch, uint64_t connection_id);

  void handle_open(TimeMs now);
  void handle_text(std::string_view frame, TimeMs now);
  // A binary frame (docs/PROTOCOL.md 5.1): closed 1003 unless this client
  // offered binary in its auth.
  void handle_binary(std::string_view frame, TimeMs now);
  // The transport connection ended; the session is parked for resume.
  void handle_closed(TimeMs now);
  void handle_timeout(TimeMs now);

  // Closes the connection (e.g. server shutdown with 1001). The session
  // stays resumable unless `forget` is set.
  void close(uint16_t code, std::string_view reason, bool forget = false);
  // Replies with a protocol-level error message (the connection stays up).
  void send_error(std::string_view code, std::string_view reason);
  // Tells the client something that is not about its input (an `error`
  // message with `code`, such as history_lost); nothing is logged as its fault.
  void notify(const Notice& notice);
  // The session's commits moved (async_commits): ack what is now durable.
  void commits_changed();
  // The broker has `channel`'s subscription in force (async_subscriptions):
  // confirms it to the client, unless it was dropped meanwhile.
  // `start`: where it begins, for a client that tracks positions.
  void confirm_subscription(const std::string& channel, const ChannelPosition& start);
  // The cluster's answer to this connection's ClaimSession: the auth goes
  // on (server_session_recovery.cpp). Ignored unless one is awaited.
  void complete_claim(const SessionClaim& claim);
  // The session id an auth presented while its claim is awaited; else empty.
  const std::string& claimed_session_id() const;

  TimeMs next_timeout() const;
  // `kind` says which WebSocket opcode the frame goes out with.
  bool poll_transmit(std::string& frame, FrameKind& kind, TimeMs now);
  bool poll_action(TransportAction& action);
  bool poll_event(ServerEvent& event);

  bool authenticated() const { return state_ != nullptr && owns_state(); }
  // The attached session; null before auth or after a resume moved it elsewhere.
  const std::shared_ptr<SessionState>& state() const { return state_; }
  uint64_t connection_id() const { return connection_id_; }
  // Heap bytes of this connection's outgoing buffers (frames and the buffers
  // kept for reuse): 0 once a quiet connection's frames are out.
  size_t retained_buffer_bytes() const { return outbox_.writer().retained_bytes(); }

 private:
  bool owns_state() const { return state_ && state_->owner_connection == connection_id_; }
  void handle_frame(std::string_view frame, FrameKind kind, TimeMs now);
  void handle_message(Message&& msg, TimeMs now);
  void handle_auth(Message&& msg, TimeMs now);
  // How attach() finds the session an auth asked for.
  enum class Attach : uint8_t {
    Local,    // this node's table: resumed if there, else a new session
    Recover,  // taken over from the cluster at `committed` (a stale local copy is reset)
  };
  void attach(Message&& auth, TokenClaims&& claims, Attach how, const SessionClaim& claim = SessionClaim{});
  void recover_session(const std::string& id, const TokenClaims& claims, uint64_t committed);
  void handle_channel(Message&& msg);
  void publish(Message&& msg, bool reliable);
  void handle_subscription(Message&& msg);
  void handle_refresh(Message&& msg, TimeMs now);
  void deny(std::string_view channel, std::string_view action, uint64_t message_id);
  // server_session_limits.cpp: the bounds of server_limits.h.
  bool admit_reliable(Message& msg);
  bool admit_publish(const Message& msg, bool reliable);
  bool admit_subscription(const Message& msg);
  void recheck_subscriptions();
  void refuse(std::string_view channel, std::string_view action, uint64_t message_id, std::string_view code,
              std::string reason);
  void fail_auth(const char* code, std::string_view reason);
  void queue_control(const Message& msg);
  // The cumulative ack the client is owed, if any: delivered, and committed.
  void queue_ack(bool commits_moved = false);
  bool fits_client(std::string_view channel, size_t data_bytes) const;
  void drop_unfit(const TransmitView& view);
  void drop_binary(const TransmitView& view);
  void push_event(ServerEvent&& event) { events_.push(std::move(event)); }
  int64_t unix_now(TimeMs now) const { return now + config_.wall_clock_offset_ms; }

  const ServerConfig& config_;
  const TokenAuthority& authority_;
  SessionTable& table_;
  const uint64_t connection_id_;
  std::shared_ptr<SessionState> state_;
  bool open_ = false;
  bool closing_ = false;
  TimeMs auth_deadline_ = kNever;
  TimeMs idle_deadline_ = kNever;
  TimeMs token_expiry_ = kNever;  // local time at which the token expires
  // Buffers kept for reuse are freed once a quiet connection's frames are out
  // (poll_transmit); busy ones keep theirs, so steady traffic allocates nothing.
  TimeMs last_frame_at_ = 0;
  bool release_when_drained_ = false;
  // An ack with "resend" is honoured once per interval (docs/PROTOCOL.md 6.5).
  static constexpr TimeMs kResendRequestIntervalMs = 1000;
  TimeMs resend_allowed_at_ = 0;
  uint64_t acked_up_to_ = 0;  // upTo of the last ack on this connection
  uint64_t duplicates_at_ack_ = 0;
  // The client's auth `maxFrame`, capped by our own limit; 0 = it named none.
  // Frames to it stay within this, and a channel message that cannot fit is
  // dropped (Error event "too_large_for_client") rather than resent into
  // 1009 closes forever.
  size_t client_max_frame_ = 0;
  // The client offered "binary" in its auth: binary payloads go to it as
  // binary frames, and it may send them. Otherwise they are dropped on the
  // way to it, and it is told (error "binary_unsupported").
  bool client_binary_ = false;
  // An auth waiting for the cluster's claim (ServerEvent::ClaimSession).
  struct PendingClaim {
    Message auth;
    TokenClaims claims;
  };
  std::unique_ptr<PendingClaim> claim_;

  // Events a session keeps room for once drained; a burst's storage goes.
  static constexpr size_t kRetainedEvents = 64;
  SessionScratch& scratch_;
  SessionOutbox outbox_;
  PolledQueue<ServerEvent> events_{kRetainedEvents};
};

}  // namespace tether::core
