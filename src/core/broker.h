#pragma once
// Channel fan-out behind an interface, so several server nodes can share
// channels through an external bus (e.g. Redis pub/sub) instead of the
// in-process LocalBroker.
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

// Called only on the thread that drives the endpoint. Implementations must not throw.
class Broker {
 public:
  virtual ~Broker() = default;

  // Called once by the ServerEndpoint before anything else. A distributed broker
  // also calls `deliver` (on the loop thread) for messages from other nodes.
  virtual void bind(DeliverFn deliver) = 0;

  // Subscriptions of this node's sessions; both are idempotent.
  virtual void subscribe(const std::string& session_id, const std::string& channel) = 0;
  virtual void unsubscribe(const std::string& session_id, const std::string& channel) = 0;
  // The session is gone: drop all its subscriptions.
  virtual void remove_session(const std::string& session_id) = 0;

  // Fans `data` out to every subscriber of `channel`, calling `deliver` once
  // per local subscriber (synchronously, for a local broker).
  virtual void publish(const std::string& channel, std::string_view data, bool reliable, PayloadKind payload) = 0;
};

}  // namespace tether::core
