#pragma once
// The default Broker: subscriptions of this process only, in hash maps.
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/broker.h"

namespace tether::core {

class LocalBroker final : public Broker {
 public:
  void bind(BrokerCallbacks callbacks) override;
  void subscribe(const std::string& session_id, const std::string& channel) override;
  void unsubscribe(const std::string& session_id, const std::string& channel) override;
  void remove_session(const std::string& session_id) override;
  void publish(const std::string& channel, std::string_view data, bool reliable, PayloadKind payload,
               const PublishOrigin& origin) override;

  // Hands `delivery` to every subscriber of `channel` (a distributed
  // broker's, with its offset; its channel may differ from the one looked up).
  void fan_out(const std::string& channel, const Delivery& delivery);

  size_t subscriber_count(const std::string& channel) const;
  // The sessions subscribed to `channel`, in no particular order.
  std::vector<std::string> subscribers_of(const std::string& channel) const;
  // The channels `session_id` subscribed to, in no particular order.
  std::vector<std::string> channels_of(const std::string& session_id) const;

 private:
  using Names = std::unordered_set<std::string>;
  DeliverFn deliver_;
  std::unordered_map<std::string, Names> subscribers_;  // channel -> session ids
  std::unordered_map<std::string, Names> channels_;     // session id -> channels, for remove_session
};

}  // namespace tether::core
