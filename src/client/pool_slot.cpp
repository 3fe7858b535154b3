#include "client/pool_slot.h"

namespace tether::client {

ConnectionStats stats_of(const PoolSlot& slot) {
  const core::ClientSession& s = slot.session;
  const core::ClientCounters& c = s.counters();
  ConnectionStats stats;
  stats.state = s.state();
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
