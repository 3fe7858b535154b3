#include "client/pool_slot.h"

namespace tether::client {

void PoolSlot::after_connection_end() {
  const core::ClientState state = session.state();
  // Connecting with failures counted: the backoff delay drew 0 and the retry
  // has begun already. A host's connect() right after close() resets the count.
  const bool retrying = state == core::ClientState::Backoff || state == core::ClientState::GaveUp ||
                        (state == core::ClientState::Connecting && session.attempts() > 0);
  if (retrying) url_index = (url_index + 1) % url_count;
}

ConnectionStats stats_of(const PoolSlot& slot) {
  const core::ClientSession& s = slot.session;
  const core::ClientCounters& c = s.counters();
  ConnectionStats stats;
  stats.state = s.state();
  stats.url_index = slot.url_index;
  stats.messages_sent = c.messages_sent;
  stats.messages_received = c.messages_received;
  stats.bytes_sent = c.bytes_sent;
  stats.bytes_received = c.bytes_received;
  stats.errors = c.errors;
  stats.reconnects = c.reconnects;
  stats.rtt_ms = s.rtt().has_sample() ? s.rtt().smoothed_ms() : 0;
  stats.pending_acks = s.sender().in_flight();
  stats.queued = s.sender().queued_messages();
  stats.routed = slot.routed;
  stats.sim_dropped = slot.sim_dropped;
  stats.deferred_reliable = c.deferred_reliable;
  stats.dropped_unreliable = c.dropped_unreliable;
  return stats;
}

ConnectionStats pool_stats_of(const PoolSlots& slots) {
  ConnectionStats total;
  double rtt_sum = 0;
  int rtt_count = 0;
  for (const auto& slot : slots) {
    const ConnectionStats one = stats_of(*slot);
    total.add(one);
    if (one.rtt_ms > 0) {
      rtt_sum += one.rtt_ms;
      ++rtt_count;
    }
    // The pool is Ready when any connection is; otherwise it reports the first one's state.
    if (slot->index == 0 || one.state == core::ClientState::Ready) {
      total.state = one.state;
      total.url_index = one.url_index;
    }
  }
  total.rtt_ms = rtt_count > 0 ? rtt_sum / rtt_count : 0;
  return total;
}

size_t PoolRouter::pick(std::string_view channel, const PoolSlots& slots) {
  if (slots.size() == 1) return 0;
  if (const std::optional<size_t> holder = routes_.holder(channel)) {
    const core::ClientState state = slots[*holder]->session.state();
    if (state != core::ClientState::GaveUp && state != core::ClientState::Closed) return *holder;
  }
  loads_.resize(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    const core::ClientSession& s = slots[i]->session;
    loads_[i].healthy = s.state() == core::ClientState::Ready;
    loads_[i].pending = s.sender().queued_messages() + s.sender().in_flight();
  }
  return balancer_.pick(channel, loads_);
}

}  // namespace tether::client
