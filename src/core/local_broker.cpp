#include "core/local_broker.h"

#include <utility>

namespace tether::core {

// Allocation failures are swallowed: the Broker contract is nothrow, and a
// lost subscription is better than a dead server.

// Publishes are routed and subscriptions made synchronously: nothing to
// commit or confirm later.
void LocalBroker::bind(BrokerCallbacks callbacks) { deliver_ = std::move(callbacks.deliver); }

void LocalBroker::subscribe(const std::string& session_id, const std::string& channel) {
  try {
    subscribers_[channel].insert(session_id);
    channels_[session_id].insert(channel);
  } catch (...) {
  }
}

void LocalBroker::unsubscribe(const std::string& session_id, const std::string& channel) {
  auto subscribers = subscribers_.find(channel);
  if (subscribers != subscribers_.end()) {
    subscribers->second.erase(session_id);
    if (subscribers->second.empty()) subscribers_.erase(subscribers);
  }
  auto channels = channels_.find(session_id);
  if (channels != channels_.end()) {
    channels->second.erase(channel);
    if (channels->second.empty()) channels_.erase(channels);
  }
}

void LocalBroker::remove_session(const std::string& session_id) {
  auto channels = channels_.find(session_id);
  if (channels == channels_.end()) return;
  for (const std::string& channel : channels->second) {
    auto subscribers = subscribers_.find(channel);
    if (subscribers == subscribers_.end()) continue;
    subscribers->second.erase(session_id);
    if (subscribers->second.empty()) subscribers_.erase(subscribers);
  }
  channels_.erase(channels);
}

void LocalBroker::publish(const std::string& channel, std::string_view data, bool reliable, PayloadKind payload,
                          const PublishOrigin& /*origin*/) {
  fan_out(channel, Delivery{channel, data, reliable, payload});
}

void LocalBroker::fan_out(const std::string& channel, const Delivery& delivery) {
  auto subscribers = subscribers_.find(channel);
  if (subscribers == subscribers_.end() || !deliver_) return;
  // Safe to iterate: deliver never calls back into the broker.
  for (const std::string& session_id : subscribers->second) {
    try {
      deliver_(session_id, delivery);
    } catch (...) {
    }
  }
}

size_t LocalBroker::subscriber_count(const std::string& channel) const {
  auto subscribers = subscribers_.find(channel);
  return subscribers == subscribers_.end() ? 0 : subscribers->second.size();
}

std::vector<std::string> LocalBroker::subscribers_of(const std::string& channel) const {
  auto subscribers = subscribers_.find(channel);
  if (subscribers == subscribers_.end()) return {};
  return std::vector<std::string>(subscribers->second.begin(), subscribers->second.end());
}

std::vector<std::string> LocalBroker::channels_of(const std::string& session_id) const {
  auto channels = channels_.find(session_id);
  if (channels == channels_.end()) return {};
  return std::vector<std::string>(channels->second.begin(), channels->second.end());
}

}  // namespace tether::core
