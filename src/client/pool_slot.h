#pragma once
// One connection of an engine's pool (a core session and the transport
// connection it drives), and the router that picks which slot carries a
// message. Both are used by engine.cpp under its session mutex.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/balancer.h"
#include "client/channel_routes.h"
#include "client/engine_types.h"
#include "core/client_session.h"
#include "transport/event_loop.h"
#include "transport/ws_client.h"

namespace tether::client {

struct PoolSlot {
  // A frame serving its simulated latency (NetworkSimulation).
  struct Delayed {
    core::TimeMs due;
    std::string frame;
    core::FrameKind kind = core::FrameKind::Text;
  };

  // Starts on urls[slot_index % url_count], so a pool spreads over the servers.
  PoolSlot(uint32_t slot_index, size_t url_count, core::ClientConfig config, uint64_t seed)
      : index(slot_index),
        url_index(static_cast<uint32_t>(slot_index % url_count)),
        url_count(static_cast<uint32_t>(url_count)),
        session(std::move(config), seed) {}

  // The connection or attempt in progress ended (closed, failed, timed out).
  // If the session will try again by itself, that attempt goes to the next
  // url: with several urls, the likely cause is a dead node, and the session
  // id resumes on any node that shares sessions. The host's close() and a
  // refused token (Unauthorized) keep the url.
  void after_connection_end();

  const uint32_t index;
  uint32_t url_index;  // EngineConfig::urls entry of the attempt in progress, or of the next one
  const uint32_t url_count;
  core::ClientSession session;
  transport::ConnectionId connection = transport::kNoConnection;  // the one the session is using
  transport::ConnectionId refused_connection = transport::kNoConnection;  // refused a frame: being aborted
  transport::TimerId timer = transport::kNoTimer;
  core::TimeMs timer_at = core::kNever;
  uint64_t routed = 0;
  uint64_t sim_dropped = 0;
  // Network simulation: frames serving their latency, in order.
  std::deque<Delayed> sim_outbound;
  std::deque<Delayed> sim_inbound;
  transport::TimerId sim_timer = transport::kNoTimer;
  core::TimeMs sim_timer_at = core::kNever;
};

using PoolSlots = std::vector<std::unique_ptr<PoolSlot>>;

// What connection_stats() reports for one slot, and pool_stats() for all.
ConnectionStats stats_of(const PoolSlot& slot);
ConnectionStats pool_stats_of(const PoolSlots& slots);

// Chooses the slot for a send: the balancer's pick, except that a sticky
// channel stays on the slot holding its unresolved reliable messages
// (channel_routes.h) while that slot may still deliver them.
class PoolRouter {
 public:
  PoolRouter(BalanceStrategy strategy, uint64_t seed)
      : balancer_(strategy, seed), sticky_(strategy == BalanceStrategy::StickyChannel) {}

  size_t pick(std::string_view channel, const PoolSlots& slots);
  // A reliable message of `channel` was queued on `slot`.
  void on_queued(std::string_view channel, size_t slot, uint64_t message_id) {
    if (sticky_) routes_.on_queued(channel, slot, message_id);
  }
  // A reliable message was acked or failed.
  void on_resolved(uint64_t message_id) { routes_.on_resolved(message_id); }

 private:
  Balancer balancer_;
  const bool sticky_;
  ChannelRoutes routes_;
  std::vector<ConnectionLoad> loads_;  // reused
};

}  // namespace tether::client
