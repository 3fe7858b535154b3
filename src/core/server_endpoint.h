#pragma once
// The server as pure logic, in the manner of quinn-proto's Endpoint: every
// connection's ServerSession, the SessionTable that outlives them, channel
// fan-out through a Broker, every per-client bound and the slow-consumer
// policy. A runtime (src/server, or a test in virtual time) only moves bytes
// and time: it reports transport events with handle_*, writes what
// poll_transmit gives it while the connection's socket keeps up, acts on
// poll_action, arms a timer per connection at next_timeout, and reads
// poll_event for its application hooks and its log.
//
// Nothing here reads a clock, touches a socket or throws on bad input.
// Single-threaded: call everything from the thread that drives it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/broker.h"
#include "core/server_session.h"
#include "core/session_snapshot.h"
#include "core/session_table.h"

namespace tether::core {

using ConnectionId = uint64_t;  // the runtime's; never 0

struct EndpointConfig {
  ServerConfig session;
  // A connection whose socket has stopped taking what is written to it (the
  // runtime reports it with set_writable) gets nothing more written; its
  // deliveries wait in its session, bounded there. What such a client keeps
  // sending has replies that cannot be written either: past this many bytes
  // received (and error replies caused) while blocked, it is a slow consumer
  // (4008). The runtime's send-buffer bound is the natural value.
  size_t max_unanswered_bytes = 4u << 20;
  // Client publishes come out as Publish events, for the host to consume or
  // pass on with publish(); otherwise the endpoint fans them out itself.
  bool publishes_to_host = false;
  // ClientError events (for the log) per connection per error_report_window_ms;
  // later ones are only counted. The next one reported says how many were
  // left out, and so does a last report when the connection closes.
  uint32_t max_error_reports = 16;
  TimeMs error_report_window_ms = 60000;
};

const char* validate(const EndpointConfig& config);

// Totals since the endpoint was made, for monitoring (tether-server /metrics).
struct EndpointCounters {
  uint64_t publishes_in = 0;       // channel messages clients published (after permission checks)
  uint64_t deliveries = 0;         // messages queued for a session (fan-out and direct)
  uint64_t auth_failures = 0;      // auth_failed sent
  uint64_t client_errors = 0;      // error replies for bad input
  uint64_t slow_consumers = 0;     // sessions dropped with 4008
  uint64_t not_committed = 0;      // reliable publishes the broker could not commit (resent)
  uint64_t pings_unanswered = 0;   // WebSocket pings past the per-connection rate (RFC 6455 5.5.3)
};

// Why a session was forgotten for good.
enum class SessionEnd : uint8_t {
  Expired,       // parked past its resume TTL
  SlowConsumer,  // its buffer overflowed, or it stopped reading (4008)
  Shutdown,      // end_all_sessions()
};
const char* session_end_name(SessionEnd end);

struct EndpointEvent {
  enum class Kind : uint8_t {
    // For the application.
    SessionStarted,  // session: a new session authenticated, or one taken over from another
                     // node (a resume is Authenticated only)
    SessionEnded,    // session, end: forgotten; its pending messages resolved as failed
    Publish,         // session, channel, data, payload, reliable, message_id (the client's sequence):
                     // only with publishes_to_host
    // For the log.
    Authenticated,        // connection, session, resumed, recovered
    AuthFailed,           // connection, code
    TokenRefreshed,       // connection, session
    ClientError,          // connection, code, reason; suppressed = reports left out before it
                          // (code "errors_suppressed": only that count, as the connection closed)
    SubscriptionRevoked,  // connection, channel, code: the server unsubscribed it
    SessionReplaced,      // connection: closing with 4005, its session resumed elsewhere
    SlowConsumer,         // connection (0 while parked), session (null before auth), code = cause,
                          // queued and buffered_bytes as they were when it overflowed
    PublishNotCommitted,  // connection (0 while parked), session, message_id: the broker could not
                          // commit this reliable publish; it and what followed go unacked and are resent
  };
  Kind kind = Kind::ClientError;
  ConnectionId connection = 0;
  std::shared_ptr<const SessionState> session;
  SessionEnd end = SessionEnd::Expired;
  bool resumed = false;
  bool recovered = false;  // Authenticated: the session was taken over from another node
  bool reliable = false;
  PayloadKind payload = PayloadKind::Json;
  uint64_t message_id = 0;
  uint64_t suppressed = 0;
  size_t queued = 0;
  size_t buffered_bytes = 0;
  std::string channel;
  std::string data;
  std::string code;
  std::string reason;
};

class ServerEndpoint {
 public:
  // `authority` must outlive the endpoint. Session ids come from `id_source`
  // (the runtime's secure random) or, for tests, a seed. `broker` defaults
  // to a LocalBroker.
  ServerEndpoint(EndpointConfig config, const TokenAuthority& authority, std::function<std::string()> id_source,
                 std::unique_ptr<Broker> broker = nullptr);
  ServerEndpoint(EndpointConfig config, const TokenAuthority& authority, uint64_t id_seed,
                 std::unique_ptr<Broker> broker = nullptr);
  ~ServerEndpoint();
  ServerEndpoint(const ServerEndpoint&) = delete;
  ServerEndpoint& operator=(const ServerEndpoint&) = delete;

  // ---- transport events (unknown ids are ignored) ----
  void handle_open(ConnectionId id, TimeMs now);
  void handle_text(ConnectionId id, std::string_view text, TimeMs now);
  // A binary frame: channel messages with opaque payloads, for a client that
  // negotiated them (else the connection closes 1003).
  void handle_binary(ConnectionId id, std::string_view bytes, TimeMs now);
  // The connection is gone; an attached session is parked for resume.
  void handle_closed(ConnectionId id, TimeMs now);
  // The connection's deadline (next_timeout) passed; early calls are harmless.
  void handle_timeout(ConnectionId id, TimeMs now);
  // Whether the connection's socket takes more output. While it does not,
  // poll_transmit gives nothing for it and its input counts toward
  // max_unanswered_bytes. The runtime says so before handle_text and
  // poll_transmit, and again when the socket drains.
  void set_writable(ConnectionId id, bool writable);
  // A WebSocket ping the transport answers itself. Its pong waits in the
  // transport's queue as a message of its own (about 220 bytes for an empty
  // one, while the queue's byte count grows by 2), so pongs are counted at
  // what they cost, from the last time the queue was seen to shrink:
  // `queued_bytes` is the transport's count now, which only grows while the
  // client reads nothing. Past max_unanswered_bytes the client is dropped
  // as a slow consumer (4008). An empty pong adds nothing to that count, so
  // pings are also answered at most kAnsweredPingsPerSecond per connection
  // (bursts of as many); the rest go unanswered, as RFC 6455 5.5.3 allows,
  // and counted. Returns whether to answer the ping.
  static constexpr uint32_t kAnsweredPingsPerSecond = 64;
  bool handle_ping(ConnectionId id, size_t payload_bytes, size_t queued_bytes, TimeMs now);

  // ---- output ----
  // A connection with output or a changed deadline since it was last
  // returned; each comes out once per change. Flush it with the calls below.
  bool poll_dirty(ConnectionId& id);
  // `kind`: send the frame as a text or a binary WebSocket message.
  bool poll_transmit(ConnectionId id, std::string& frame, FrameKind& kind, TimeMs now);
  bool poll_action(ConnectionId id, TransportAction& action);
  TimeMs next_timeout(ConnectionId id) const;
  bool poll_event(EndpointEvent& event);

  // ---- sessions ----
  // Forgets parked sessions past their resume TTL (SessionEnded events).
  void expire_sessions(TimeMs now);
  TimeMs next_expiry() const { return table_.next_timeout(); }

  // Queues an application message for one session, connected or parked.
  // False for an unknown session, an invalid channel or data (a Json
  // payload must be one JSON value; a Binary one is any bytes), or a
  // delivery that could not fit a frame; a full buffer drops the session
  // as a slow consumer (4008) and also returns false. A binary payload for
  // a client that did not negotiate binary is dropped on the way to it, and
  // the client gets an error "binary_unsupported".
  bool send_to_session(std::string_view session_id, std::string_view channel, std::string_view data,
                       bool reliable, TimeMs now, PayloadKind payload = PayloadKind::Json);
  // Fan-out to every subscriber. False for an invalid channel or data, or a
  // delivery that could not fit a frame. A client's publish under
  // publishes_to_host comes here unchanged (it was checked on receipt).
  bool publish(std::string_view channel, std::string_view data, bool reliable, TimeMs now,
               PayloadKind payload = PayloadKind::Json);

  // Closes every connection with `code`; sessions stay (a restart saves them).
  void close_all(uint16_t code, std::string_view reason);
  // The same for one connection (a draining node closes them one by one).
  void close_connection(ConnectionId id, uint16_t code, std::string_view reason);
  // Forgets every session: pending messages fail, SessionEnded for each.
  void end_all_sessions();
  std::string snapshot(std::string_view app_state) const;
  // Restores saved sessions, parked for their resume TTL. Before any connection.
  RestoreResult restore(std::string_view snapshot, TimeMs now);

  std::shared_ptr<const SessionState> find_session(std::string_view session_id) const;
  size_t session_count() const { return table_.size(); }
  size_t connection_count() const { return connections_.size(); }
  const EndpointConfig& config() const { return config_; }
  const Broker& broker() const { return *broker_; }
  const EndpointCounters& counters() const { return counters_; }

 private:
  struct Connection;
  using SessionPtr = std::shared_ptr<SessionState>;

  Connection* find(ConnectionId id);
  const Connection* find(ConnectionId id) const;
  void mark_dirty(Connection& connection);
  void route_events(Connection& connection, TimeMs now);
  void route(Connection& connection, ServerEvent& event, TimeMs now);
  void bind_broker();
  void handle_commit(const std::string& session_id, uint64_t seq, CommitResult result);
  void handle_claimed(const std::string& session_id, const SessionClaim& claim);
  void complete_claims();
  void complete_claim(const std::string& session_id, const SessionClaim& claim);
  void forget_claim(const Connection& connection);
  void close_replaced_connections();
  void handle_frame(ConnectionId id, std::string_view frame, FrameKind kind, TimeMs now);
  void deliver(const std::string& session_id, const Delivery& delivery);
  bool enqueue(const SessionPtr& session, const Delivery& delivery);
  bool valid_outgoing(std::string_view channel, std::string_view data, PayloadKind payload) const;
  void push_event(EndpointEvent&& event) { events_.push(std::move(event)); }
  // server_endpoint_limits.cpp: slow consumers and clients that stop reading.
  bool admit_input(Connection& connection, size_t bytes);
  void count_error_reply(Connection& connection, const ServerEvent& error);
  // Past max_unanswered_bytes while blocked: dropped as a slow consumer
  // (4008) the first time; true from then on.
  bool over_unanswered_bound(Connection& connection);
  void drop_for_not_reading(Connection& connection);  // 4008, once
  void report_error(Connection& connection, ServerEvent& error, TimeMs now);
  void report_suppressed_errors(Connection& connection);
  void drop_slow_consumer(const SessionPtr& session, const char* cause);
  void end_session(SessionPtr session, SessionEnd why);
  void finish_ended_sessions();

  EndpointConfig config_;  // sessions hold a reference: never reassigned
  const TokenAuthority& authority_;
  SessionTable table_;
  SessionScratch scratch_;  // shared by every connection's session
  std::unique_ptr<Broker> broker_;
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections_;
  // Connections whose auth waits for the cluster's claim of a session id
  // (at most one per connection, so bounded by the connections).
  std::unordered_multimap<std::string, ConnectionId> claims_;
  // The cluster's answers, taken up at the next poll (complete_claims).
  std::vector<std::pair<std::string, SessionClaim>> claim_answers_;
  EndpointCounters counters_;
  std::vector<ConnectionId> dirty_;
  size_t dirty_read_ = 0;  // dirty_[..dirty_read_) were returned by poll_dirty
  PolledQueue<EndpointEvent> events_;
  // Forgotten sessions whose broker subscriptions and SessionEnded event
  // wait until no broker iteration is running (deliver may end one).
  std::vector<std::pair<SessionPtr, SessionEnd>> ended_;
  std::vector<SessionPtr> expired_;  // reused by expire_sessions()
  int64_t wall_now_ = 0;             // unix ms at the latest input: message timestamps
  TimeMs now_ = 0;                   // the latest input's time, for the broker's answers
};

}  // namespace tether::core
