#pragma once
// One client of a chaos exchange, driven only through the C API
// (include/tether/tether.h) as a game would: create, subscribe, connect,
// send, and pump once per frame. What it pumps goes into a DeliveryLedger,
// plus what the host is told about its sessions: which READY was a resume
// and which was a fresh session (the old one lost), and when each
// subscription was confirmed.
//
// Peer i publishes on channels "chaos:p<i>:<k>" and subscribes to every
// other peer's. A payload is [seq,"pad"]: seq is the per-channel sequence.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "delivery_ledger.h"
#include "tether/tether.h"

namespace tether::chaos {

struct PeerOptions {
  size_t index = 0;   // this peer's number in the exchange
  size_t peers = 2;   // how many peers publish
  size_t channels = 1;  // channels each peer publishes on
  std::string url;
  std::vector<std::string> urls;  // if not empty, used instead of `url` (a cluster's nodes)
  std::string token;
  uint32_t pool_size = 2;
  uint64_t seed = 1;
  // Short, so a black-holed link is noticed in about a second, not 20.
  int64_t heartbeat_interval_ms = 600;
  int64_t heartbeat_timeout_ms = 500;
};

// What the host saw of one pool connection.
struct ConnectionHistory {
  bool ready = false;
  uint32_t ready_count = 0;
  uint32_t resumed_count = 0;
  // READY without RESUMED after an earlier READY: the server lost the session.
  std::vector<uint64_t> session_lost_steps;
};

std::string channel_name(size_t sender, size_t channel);

class ChaosPeer {
 public:
  explicit ChaosPeer(const PeerOptions& options);  // REQUIREs that create succeeds
  ~ChaosPeer();
  ChaosPeer(const ChaosPeer&) = delete;
  ChaosPeer& operator=(const ChaosPeer&) = delete;

  // Subscribes to every other peer's channels, then connects.
  void connect();
  // One pump: books its events, one `step` tick each. Returns how many.
  size_t pump(DeliveryLedger& ledger, uint64_t& step);
  // Publishes `seq` reliably on this peer's channel `channel`; books it if
  // the call succeeds. Returns the C API result.
  int32_t send(size_t channel, uint32_t seq, size_t pad_bytes, DeliveryLedger& ledger, uint64_t& step);

  size_t index() const { return options_.index; }
  tether_client* handle() const { return handle_; }
  const std::vector<ConnectionHistory>& connections() const { return connections_; }
  bool all_ready() const;
  // Steps at which the subscription to (sender, channel) was confirmed.
  const std::vector<uint64_t>& subscribed_steps(size_t sender, size_t channel) const {
    return subscribed_steps_[sender * options_.channels + channel];
  }
  uint64_t session_losses() const;
  uint64_t transport_errors() const { return transport_errors_; }
  // ERROR, AUTH_FAILED, PERMISSION_DENIED and UNSUBSCRIBED codes, counted.
  const std::map<std::string, uint64_t>& complaints() const { return complaints_; }
  const std::string& last_send_error() const { return last_send_error_; }

 private:
  void on_message(const tether_event& event, DeliveryLedger& ledger, uint64_t step);
  void on_state(const tether_event& event, uint64_t step);
  void on_subscribed(const tether_event& event, uint64_t step);

  PeerOptions options_;
  tether_client* handle_ = nullptr;
  std::vector<ConnectionHistory> connections_;
  std::vector<std::vector<uint64_t>> subscribed_steps_;  // by sender * channels + channel
  std::map<std::string, uint64_t> complaints_;
  uint64_t transport_errors_ = 0;
  std::string payload_;  // reused
  std::string last_send_error_;
};

}  // namespace tether::chaos
