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

// Hands one message to one session of this node. The ServerEndpoint supplies it;
// it only queues (never calls back into the broker), and ignores sessions it
// no longer knows.
// `payload` says what `data` holds: JSON text or opaque bytes, carried as is.
using DeliverFn = std::function<void(const std::string& session_id, std::string_view channel,
                                     std::string_view data, bool reliable, PayloadKind payload)>;

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
// there from now on reaches it (confirms_subscriptions()).
using SubscribedFn = std::function<void(const std::string& session_id, const std::string& channel)>;

// Something the session's client must be told that is no reply to anything
// it sent: an `error` message with this code (e.g. "history_lost").
using NoticeFn = std::function<void(const std::string& session_id, std::string_view code, std::string_view reason)>;

// What a broker calls back, on the loop thread. Each only queues work in
// the endpoint; none calls back into the broker.
struct BrokerCallbacks {
  DeliverFn deliver;
  CommitFn commit;          // only if commits_async()
  SubscribedFn subscribed;  // only if confirms_subscriptions()
  NoticeFn notice;
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

  // Subscriptions of this node's sessions; both are idempotent.
  virtual void subscribe(const std::string& session_id, const std::string& channel) = 0;
  virtual void unsubscribe(const std::string& session_id, const std::string& channel) = 0;
  // The session is gone: drop all its subscriptions.
  virtual void remove_session(const std::string& session_id) = 0;

  // Fans `data` out to every subscriber of `channel`, calling `deliver` once
  // per local subscriber (synchronously, for a local broker).
  virtual void publish(const std::string& channel, std::string_view data, bool reliable, PayloadKind payload,
                       const PublishOrigin& origin) = 0;
};

}  // namespace tether::core
