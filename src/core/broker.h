#pragma once
// Channel fan-out behind an interface, so several server nodes can share
// channels through an external bus (e.g. Redis pub/sub) instead of the
// in-process LocalBroker.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/message.h"

namespace tether::core {

// One message on its way to one session.
struct Delivery {
  std::string_view channel;
  std::string_view data;  // `payload` says what it holds: JSON text or opaque bytes, carried as is
  bool reliable = false;
  PayloadKind payload = PayloadKind::Json;
  // Its place in its stream (a distributed broker's reliable messages), for
  // clients that track positions; 0 for none.
  uint64_t offset = 0;
  // Addressed to this session by the server application (send_to_session),
  // from the session's own stream; `offset` counts in that stream.
  bool direct = false;
};

// Hands one message to one session of this node. The ServerEndpoint supplies it;
// it only queues (never calls back into the broker), and ignores sessions it
// no longer knows.
using DeliverFn = std::function<void(const std::string& session_id, const Delivery& delivery)>;

// Where a client stands in a channel's stream (docs/PROTOCOL.md 11.1): it
// has every message up to `offset` of `epoch`. Empty epoch and offset 0:
// it names no position (a plain subscription, from now on).
struct ChannelPosition {
  std::string epoch;
  uint64_t offset = 0;
  bool named() const { return offset != 0 || !epoch.empty(); }
};

// Which client publish this is, for a broker that commits asynchronously
// (commits_async()). Empty for the server application's own publishes.
struct PublishOrigin {
  std::string_view session_id;
  uint64_t seq = 0;           // the client's sequence, for a reliable publish; else 0
  uint64_t previous_seq = 0;  // the publish of that session handed over before it (CommitTracker::begin)
};

// How an asynchronous broker answered a reliable client publish.
enum class CommitResult : uint8_t {
  Committed,  // durable, and fanned out
  Duplicate,  // already committed earlier (a resend after the ack was lost): ack, do not fan out
  Failed,     // not committed (broker unreachable, a gap before it): do not ack; the client resends
};
using CommitFn = std::function<void(const std::string& session_id, uint64_t seq, CommitResult result)>;
// The session's subscription to the channel is in force: what is published
// there from now on reaches it (confirms_subscriptions()). `start`: the
// subscription continues after this position (empty for a local broker).
using SubscribedFn =
    std::function<void(const std::string& session_id, const std::string& channel, const ChannelPosition& start)>;

// Something the session's client must be told that is no reply to anything
// it sent: an `error` message with this code (e.g. "history_lost"). For
// history_lost, `where` names the channel and its epoch from now on.
struct Notice {
  std::string_view code;
  std::string_view reason;
  std::string_view channel;
  std::string_view epoch;
};
using NoticeFn = std::function<void(const std::string& session_id, const Notice& notice)>;

// What the cluster knows of a session id a client presented (claim_session).
struct SessionClaim {
  enum class Kind : uint8_t {
    Unknown,      // no record of it for that user (new, expired, or never recorded)
    Here,         // it was last held by this node
    Elsewhere,    // another node held it: now this one does (its record says so)
    Unavailable,  // the cluster could not be asked (its bus is down): try later
  };
  Kind kind = Kind::Unknown;
  uint64_t committed = 0;    // Here/Elsewhere: the client's highest committed sequence
  std::string direct_epoch;  // Here/Elsewhere: the epoch of the session's direct stream, if it has one
};
using ClaimFn = std::function<void(const std::string& session_id, const SessionClaim& claim)>;

// What a broker calls back, on the loop thread. Each only queues work in
// the endpoint; none calls back into the broker.
struct BrokerCallbacks {
  DeliverFn deliver;
  CommitFn commit;          // only if commits_async()
  SubscribedFn subscribed;  // only if confirms_subscriptions()
  NoticeFn notice;
  ClaimFn claimed;          // only if recovers_sessions()
};

// Called only on the thread that drives the endpoint. Implementations must not throw.
class Broker {
 public:
  virtual ~Broker() = default;

  // Called once by the ServerEndpoint before anything else. A distributed broker
  // also calls `deliver` (on the loop thread) for messages from other nodes,
  // and, if it commits asynchronously, `commit` once per reliable client
  // publish, never from inside publish().
  virtual void bind(BrokerCallbacks callbacks) = 0;
  // True if reliable client publishes become durable only when `commit`
  // says so; the endpoint then withholds their acks until it does.
  virtual bool commits_async() const { return false; }
  // True if a subscription is in force only once `subscribed` says so (from
  // inside subscribe() or later); the endpoint then confirms it to the
  // client only then, so that whatever is published after the client's
  // confirmation reaches it. Otherwise subscribe() puts it in force at once.
  virtual bool confirms_subscriptions() const { return false; }
  // False while the broker cannot route (a distributed one lost its bus):
  // the node is not ready for clients (its health check says so).
  virtual bool ready() const { return true; }
  // For the runtime: a distributed broker calls `wake` after it called
  // `deliver` or `commit` on its own (a message from another node, a
  // commit's answer), so the runtime flushes what they queued.
  virtual void set_wake(std::function<void()> /*wake*/) {}

  // True if sessions live in the cluster, not in one node: a client's resume
  // is first claimed there (claim_session), so it can continue on any node.
  virtual bool recovers_sessions() const { return false; }
  // A session authenticated on this node, for `user`: recorded so that any
  // node can recover it after this one is gone. Its direct messages
  // (send_direct) reach it from `direct_from` on (named(): after a
  // recovery), else from now on.
  virtual void register_session(const std::string& /*session_id*/, std::string_view /*user*/,
                                const ChannelPosition& /*direct_from*/) {}
  // A message from the server application to one session, through the
  // broker so that it survives this node (recovers_sessions()). False if
  // not taken (the broker is unreachable): the endpoint queues it here.
  virtual bool send_direct(const std::string& /*session_id*/, std::string_view /*channel*/,
                           std::string_view /*data*/, bool /*reliable*/, PayloadKind /*payload*/) {
    return false;
  }
  // A client of `user` presented this session id: claims it for this node.
  // Answers through `claimed`, exactly once, never from inside.
  virtual void claim_session(const std::string& /*session_id*/, std::string_view /*user*/) {}

  // Subscriptions of this node's sessions; both are idempotent.
  virtual void subscribe(const std::string& session_id, const std::string& channel) = 0;
  // The same, continuing after the client's position `from` (named()): a
  // distributed broker first delivers what the session missed since then.
  virtual void subscribe_from(const std::string& session_id, const std::string& channel,
                              const ChannelPosition& /*from*/) {
    subscribe(session_id, channel);
  }
  virtual void unsubscribe(const std::string& session_id, const std::string& channel) = 0;
  // The session is gone: drop all its subscriptions.
  virtual void remove_session(const std::string& session_id) = 0;

  // Fans `data` out to every subscriber of `channel`, calling `deliver` once
  // per local subscriber (synchronously, for a local broker).
  virtual void publish(const std::string& channel, std::string_view data, bool reliable, PayloadKind payload,
                       const PublishOrigin& origin) = 0;
};

}  // namespace tether::core
