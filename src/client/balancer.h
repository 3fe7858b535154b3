#pragma once
// Chooses which pool connection carries a message. Pure logic: the engine
// supplies each connection's health and load.
//
// Ordering guarantees (also in tether.h):
// - sticky_channel: a channel always maps to the same connection while it is
//   up, so per-channel order holds end to end. If it is down, the channel
//   moves to the next healthy connection in ring order, but the engine first
//   keeps it where its unresolved reliable messages are (channel_routes.h),
//   so no message overtakes one that waits for a resend.
// - round_robin, least_messages, random: messages of one channel may travel
//   on different connections and may arrive in a different order.
// All strategies skip connections that are down while at least one is up;
// with none up, messages queue on the connection the strategy would use.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/rng.h"

namespace tether::client {

enum class BalanceStrategy : uint8_t { RoundRobin, LeastMessages, Random, StickyChannel };

const char* balance_strategy_name(BalanceStrategy strategy);

struct ConnectionLoad {
  bool healthy = false;  // authenticated and ready
  size_t pending = 0;    // queued + unacked messages
};

class Balancer {
 public:
  Balancer(BalanceStrategy strategy, uint64_t seed) : strategy_(strategy), rng_(seed) {}

  // `loads` is non-empty. Returns an index into it.
  size_t pick(std::string_view channel, const std::vector<ConnectionLoad>& loads);

  // The connection a channel belongs to when all are healthy; also where its
  // subscription lives, so a subscriber never gets a message twice.
  static size_t channel_home(std::string_view channel, size_t connections);

 private:
  BalanceStrategy strategy_;
  core::SeededRng rng_;
  size_t next_round_robin_ = 0;
};

}  // namespace tether::client
