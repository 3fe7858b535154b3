#include "client/balancer.h"

namespace tether::client {

const char* balance_strategy_name(BalanceStrategy strategy) {
  switch (strategy) {
    case BalanceStrategy::RoundRobin: return "round_robin";
    case BalanceStrategy::LeastMessages: return "least_messages";
    case BalanceStrategy::Random: return "random";
    case BalanceStrategy::StickyChannel: return "sticky_channel";
  }
  return "unknown";
}

size_t Balancer::channel_home(std::string_view channel, size_t connections) {
  // FNV-1a: stable across platforms and runs, unlike std::hash.
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : channel) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return static_cast<size_t>(hash % connections);
}

size_t Balancer::pick(std::string_view channel, const std::vector<ConnectionLoad>& loads) {
  const size_t n = loads.size();
  bool any_healthy = false;
  for (const ConnectionLoad& load : loads) any_healthy |= load.healthy;
  // With nothing up, every connection is a candidate (the message queues).
  auto usable = [&](size_t i) { return !any_healthy || loads[i].healthy; };

  switch (strategy_) {
    case BalanceStrategy::StickyChannel: {
      const size_t home = channel_home(channel, n);
      for (size_t step = 0; step < n; ++step) {
        if (usable((home + step) % n)) return (home + step) % n;
      }
      return home;
    }
    case BalanceStrategy::RoundRobin:
      for (size_t step = 0; step < n; ++step) {
        const size_t i = next_round_robin_++ % n;
        if (usable(i)) return i;
      }
      return 0;
    case BalanceStrategy::LeastMessages: {
      size_t best = n;
      for (size_t i = 0; i < n; ++i) {
        if (usable(i) && (best == n || loads[i].pending < loads[best].pending)) best = i;
      }
      return best == n ? 0 : best;
    }
    case BalanceStrategy::Random: {
      size_t candidates = 0;
      for (size_t i = 0; i < n; ++i) candidates += usable(i) ? 1 : 0;
      size_t chosen = static_cast<size_t>(rng_.next_in(0, static_cast<int64_t>(candidates) - 1));
      for (size_t i = 0; i < n; ++i) {
        if (!usable(i)) continue;
        if (chosen-- == 0) return i;
      }
      return 0;
    }
  }
  return 0;
}

}  // namespace tether::client
