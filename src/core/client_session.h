#pragma once
// The client side of the protocol as a state machine, in the manner of
// quinn-proto: inputs (handle_*), commands (connect, send, close, ...),
// drained outputs (poll_transmit, poll_action, poll_event) and next_timeout().
// One ClientSession is one logical connection; it outlives transport
// connections and carries reliable state across reconnects and resumes.
//
// Drive it like this: after any input or command, drain poll_action(),
// poll_transmit() and poll_event(), then call handle_timeout() at or after
// next_timeout(). Early or repeated handle_timeout() calls are harmless.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backoff.h"
#include "core/client_positions.h"
#include "core/codec.h"
#include "core/frame_writer.h"
#include "core/heartbeat.h"
#include "core/protocol.h"
#include "core/session_outbox.h"
#include "core/permissions.h"
#include "core/reliable_receiver.h"
#include "core/reliable_sender.h"
#include "core/time.h"

namespace tether::core {

// Every duration is at most kMaxDurationMs (7 days); validate() says so.
// An ack delay beyond this would run into the peer's ack timeout (5 s).
constexpr TimeMs kMaxAckDelayMs = 1000;
struct ClientConfig {
  std::string token;
  BackoffConfig backoff;
  HeartbeatConfig heartbeat;
  ReliableConfig reliable;
  CodecLimits limits;
  TimeMs connect_timeout_ms = 10000;   // transport connect + TLS + WebSocket handshake
  TimeMs auth_timeout_ms = 10000;      // open -> auth_success
  TimeMs refresh_lead_ms = 60000;      // refresh this long before the token expires
  TimeMs refresh_timeout_ms = 10000;   // refresh_token -> token_refresh
  uint32_t receive_window = 4096;      // out-of-order reliable ids we accept ahead of a gap
  // The ack of a lone reliable message waits up to this long for a frame
  // that goes out anyway (the host's reply, a ping) and rides in it, so a
  // request/response exchange costs the server one frame per round, not two.
  // Two or more messages since the last ack, or a duplicate, are acked at
  // once. 0 acks after every frame. At most kMaxAckDelayMs.
  TimeMs ack_delay_ms = 2;
  // unix_ms = now + wall_clock_offset_ms; used for message timestamps and
  // token expiry, which are wall-clock values on the wire.
  int64_t wall_clock_offset_ms = 0;
};

// Returns nullptr if valid, else a static description of the first problem.
const char* validate(const ClientConfig& config);

enum class ClientState : uint8_t {
  Idle,            // created, never connected
  Connecting,      // waiting for the transport to open
  Authenticating,  // open, auth sent, waiting for auth_success
  Ready,           // authenticated: traffic flows
  Backoff,         // waiting before the next attempt
  Closed,          // closed by the host; never reconnects by itself
  GaveUp,          // max_attempts consecutive failures
  Unauthorized,    // the server rejected the token; waits for set_token()
};

const char* client_state_name(ClientState state);

enum class CloseInitiator : uint8_t { Local, Remote, Transport };

struct ClientEvent {
  enum class Kind : uint8_t {
    StateChanged,      // state (+ attempt/delay for Backoff, close info, resumed for Ready)
    Message,           // channel, data, reliable, message_id (the peer's sequence)
    Acked,             // message_id: a reliable send was delivered
    SendFailed,        // message_id, outcome
    AuthOk,            // permissions, user_id, session, expires_at, resumed, recovered
    AuthFailed,        // code, reason ("token_too_large": the server closed 1009 on our auth)
    TokenRefreshed,    // token, expires_at, permissions (in force now, if the server listed them)
    TokenExpiring,     // expires_at: refresh failed; supply a token with set_token()
    PermissionDenied,  // channel, action, message_id (0 for subscribe), reason
    Subscribed,        // channel
    Unsubscribed,      // channel (+ code, reason when the server dropped it)
    Error,             // code, reason: malformed or unexpected input; the session carries on
  };
  Kind kind = Kind::Error;
  ClientState state = ClientState::Idle;
  uint32_t attempt = 0;
  TimeMs delay_ms = 0;
  uint16_t close_code = 0;
  CloseInitiator initiator = CloseInitiator::Local;
  bool resumed = false;
  // AuthOk: a resume by another cluster node (resumed too): nothing was lost,
  // but the server took the session over from its stored state.
  bool recovered = false;
  bool reliable = false;
  PayloadKind payload = PayloadKind::Json;  // Message: `data` is JSON text or opaque bytes
  uint64_t message_id = 0;
  SendOutcome outcome = SendOutcome::Acked;
  int64_t expires_at = 0;  // Unix ms
  int64_t timestamp = 0;   // Message: sender's Unix ms
  std::string channel;
  std::string data;
  std::string code;
  std::string reason;
  std::string action;
  std::string token;
  std::string user_id;
  std::string session;
  std::vector<std::string> permissions;
};

// What the runtime must do to the transport.
enum class SendStatus : uint8_t {
  Ok,
  QueueFull,         // offline queue at its message or byte limit
  PermissionDenied,  // the server's permission set does not allow publishing here
  InvalidPayload,    // not valid JSON (or too deep, or invalid UTF-8)
  TooLarge,          // would not fit in one frame
  InvalidChannel,    // empty, over kMaxChannelBytes, not UTF-8, or contains NUL
  WrongState,        // Closed or GaveUp: connect() first
  Unsupported,       // a binary payload, and the server's connection did not negotiate binary
};

const char* send_status_name(SendStatus status);

struct ClientCounters {
  uint64_t messages_sent = 0;      // channel messages put on the wire, first transmissions
  uint64_t messages_received = 0;  // channel messages delivered to the app
  uint64_t bytes_sent = 0;         // frame bytes
  uint64_t bytes_received = 0;
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t reconnects = 0;         // successful re-authentications after the first
  uint64_t errors = 0;             // decode errors and protocol complaints
  uint64_t duplicates_dropped = 0;
  uint64_t deferred_reliable = 0;   // reliable messages refused while paused (resent later)
  uint64_t dropped_unreliable = 0;  // unreliable messages dropped while paused
};

class ClientSession {
 public:
  ClientSession(ClientConfig config, uint64_t rng_seed);

  // ---- commands -------------------------------------------------------
  // Starts connecting from Idle, Closed, GaveUp or Unauthorized (resetting
  // the attempt counter). Ignored in other states. After close() this is a
  // new session: nothing is resumed, but the wanted subscriptions are sent again.
  void connect(TimeMs now);
  // Host close: never reconnects; pending reliable sends resolve as Closed.
  // The session id and reliable receive state are forgotten (connect()
  // starts over); the set of wanted subscriptions is kept.
  void close(TimeMs now, uint16_t code = close_code::kNormal, std::string_view reason = "");
  // Skips a backoff wait (the host knows the network is back) and restarts
  // after GaveUp. In Ready it checks the link instead: a ping goes out at
  // once (unless one is already outstanding), and no pong within the
  // heartbeat timeout means the link is dead, closed 4000 and reconnected.
  void reconnect_now(TimeMs now);
  // Queues a channel message; `message_id` is the caller's unique id for a
  // reliable send (reported in Acked/SendFailed), ignored for unreliable ones.
  // TooLarge if the encoded message exceeds frame_limit(). A Json payload
  // must be one JSON value; a Binary one is any bytes (empty included), and
  // goes out in binary frames. While Ready on a connection without binary
  // that is Unsupported at once; queued while offline, it resolves as
  // Unsupported (reliable) or is dropped with an Error event (unreliable)
  // when a server that did not negotiate binary accepts the session.
  SendStatus send(std::string_view channel, std::string_view data, bool reliable, uint64_t message_id,
                  TimeMs now, PayloadKind payload = PayloadKind::Json);
  SendStatus subscribe(std::string_view channel, TimeMs now);
  SendStatus unsubscribe(std::string_view channel, TimeMs now);
  // A new token from the host: used for the next auth, presented to the
  // server if Ready (at once, or as soon as a refresh in flight is answered),
  // and leaves Unauthorized by reconnecting. False, and nothing changes, if
  // it is not UTF-8: it goes out inside a JSON text frame.
  bool set_token(std::string token, TimeMs now);

  // Backpressure from a host that stops draining events: while paused,
  // reliable channel messages are neither delivered, held for reordering nor
  // acked (the server retransmits them later) and unreliable ones are dropped
  // and counted. After a pause, reliable messages ahead of the gap it left
  // are deferred too until the gap fills, so the receiver never holds a
  // backlog that one message would release at once. Control traffic (pongs,
  // acks, auth) flows as usual.
  // On resuming, if it let messages go (deferred), the session asks the
  // server to resend them now (an ack with "resend", docs/PROTOCOL.md 6.5):
  // their ack timers may have backed off to 30 s while the host was away.
  void set_inbound_paused(bool paused);
  bool inbound_paused() const { return inbound_paused_; }

  // ---- inputs ---------------------------------------------------------
  void handle_open(TimeMs now);
  void handle_text(std::string_view frame, TimeMs now);
  // A binary frame (docs/PROTOCOL.md 5.1). Without binary negotiated on this
  // connection it is a protocol error: closed 1003 and reconnected.
  void handle_binary(std::string_view frame, TimeMs now);
  // The transport connection ended (never called for a connection the
  // session itself asked to close through a Close action). `initiator` is
  // who ended it, as the transport saw; without it the session guesses from
  // the code (1006: the transport, anything else: the remote). A 1009 we
  // initiated (Local) means the server sent a frame over our limit: it is
  // reported as Error "peer_frame_too_large" and we reconnect as usual.
  void handle_closed(uint16_t code, std::string_view reason, TimeMs now,
                     std::optional<CloseInitiator> initiator = std::nullopt);
  void handle_timeout(TimeMs now);

  // ---- outputs --------------------------------------------------------
  TimeMs next_timeout() const;
  // `kind` says which WebSocket opcode the frame goes out with.
  bool poll_transmit(std::string& frame, FrameKind& kind);
  bool poll_action(TransportAction& action);
  bool poll_event(ClientEvent& event);

  // ---- introspection --------------------------------------------------
  ClientState state() const { return state_; }
  const RttEstimator& rtt() const { return heartbeat_.rtt(); }
  const ClientCounters& counters() const { return counters_; }
  const ReliableSender& sender() const { return sender_; }
  const ReliableReceiver& receiver() const { return receiver_; }
  const std::string& session_id() const { return session_id_; }
  uint32_t attempts() const { return backoff_.attempts(); }
  bool permissions_known() const { return permissions_known_; }
  // The server agreed to binary frames on the current connection.
  bool binary_negotiated() const { return peer_binary_; }
  const PermissionSet& permissions() const { return permissions_; }
  // The wanted channels, the client's position in each, and its direct offset.
  const WantedChannels& subscriptions() const { return subscriptions_; }
  // The largest frame that may go to the peer: our own limit, lowered to
  // what the peer advertised in auth_success or revealed by closing 1009.
  size_t frame_limit() const;

 private:
  // Subscribes and unsubscribes made while not Ready, replayed on a resumed
  // session: the last one per channel, so a host toggling a channel while
  // offline holds one entry, not one per call.
  using PendingSubscriptions = std::map<std::string, MessageType, std::less<>>;

  void set_state(ClientState state, bool resumed = false);
  void begin_connect(TimeMs now);
  void close_transport(uint16_t code, std::string_view reason);
  void stop_connection_timers();
  void connection_down();
  void schedule_reconnect(uint16_t code, std::string_view reason, CloseInitiator who, TimeMs now);
  void enter_unauthorized(std::string_view code, std::string_view reason,
                          uint16_t close_code = close_code::kAuthFailed);
  void handle_message(Message&& msg, TimeMs now);
  void handle_auth_success(Message&& msg, TimeMs now);
  void handle_token_refresh(Message&& msg, TimeMs now);
  void handle_refresh_failed(Message&& msg, TimeMs now);
  bool refresh_answer_is_current(TimeMs now);
  // Frame limits (client_session_limits.cpp).
  void learn_peer_limits(const Message& auth_success);
  void drop_binary_if_unsupported();
  void handle_frame(std::string_view frame, FrameKind kind, TimeMs now);
  bool learn_from_too_big_close();
  void apply_frame_limits();
  bool fits_in_frame(std::string_view channel, size_t data_bytes) const;
  void handle_channel(Message&& msg);
  void deliver(Message&& msg, bool reliable);
  void send_subscription(MessageType type, std::string_view channel);
  void schedule_refresh(TimeMs now);
  void send_refresh(TimeMs now);
  void queue_control(const Message& msg);
  void queue_ping(int64_t timestamp);
  // Acks (client_session_inbound.cpp): at once, or delayed to ride along.
  void schedule_ack(TimeMs now);
  void queue_ack_now();
  void drain_resolutions();
  void emit_error(std::string_view code, std::string_view reason);
  int64_t unix_now(TimeMs now) const { return add_saturating(now, config_.wall_clock_offset_ms); }
  TimeMs to_local(int64_t unix_ms) const { return sub_saturating(unix_ms, config_.wall_clock_offset_ms); }

  ClientConfig config_;
  ClientState state_ = ClientState::Idle;
  ReconnectBackoff backoff_;
  Heartbeat heartbeat_;
  ReliableSender sender_;
  ReliableReceiver receiver_;
  SessionOutbox outbox_;
  PermissionSet permissions_;
  bool permissions_known_ = false;
  bool ever_authenticated_ = false;
  bool inbound_paused_ = false;
  uint64_t deferred_up_to_ = 0;  // highest reliable sequence deferred (not taken in) this session
  TimeMs ack_at_ = kNever;        // a delayed ack is owed by then
  uint64_t acked_up_to_ = 0;      // upTo of the last ack queued
  uint64_t duplicates_at_ack_ = 0;

  std::string session_id_;               // from auth_success, presented to resume
  WantedChannels subscriptions_;         // wanted channels, re-sent on a fresh session
  PendingSubscriptions offline_subscription_ops_;

  TimeMs connect_deadline_ = kNever;
  TimeMs auth_deadline_ = kNever;
  TimeMs reconnect_at_ = kNever;
  TimeMs reconnect_delay_ = 0;
  TimeMs now_ = 0;                      // latest time seen, for poll_transmit
  TimeMs refresh_at_ = kNever;
  TimeMs refresh_deadline_ = kNever;    // refresh in flight until this time
  uint32_t refresh_unanswered_ = 0;     // refresh_tokens sent on this connection, not yet answered
  bool token_waiting_ = false;          // set_token() during a refresh: present it after the answer
  int64_t token_expires_at_ = 0;        // Unix ms, 0 = unknown
  CloseInitiator last_close_initiator_ = CloseInitiator::Local;
  uint16_t last_close_code_ = 0;
  std::string last_close_reason_;

  // What the peer accepts (0 = unknown: our own limits apply).
  size_t peer_max_frame_ = 0;      // advertised, or learned from a 1009 close
  bool peer_frame_advertised_ = false;
  size_t peer_max_batch_ = 0;
  bool peer_binary_ = false;       // auth_success said "binary": true on this connection
  size_t batch_budget_ = 0;        // after a 1009 on a batch: frames of several messages stay below this
  size_t largest_frame_sent_ = 0;  // on the current connection
  bool largest_frame_was_batch_ = false;

  PolledQueue<ClientEvent> events_;  // a vector inside: events are large, a deque would allocate per event
  std::vector<Message> decoded_;   // reused per frame
  std::vector<Message> ready_;     // reused: reliable messages ready for the app
  std::vector<DecodeIssue> issues_;
  ClientCounters counters_;
};

}  // namespace tether::core
