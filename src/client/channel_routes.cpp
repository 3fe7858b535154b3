#include "client/channel_routes.h"

namespace tether::client {

std::optional<size_t> ChannelRoutes::holder(std::string_view channel) const {
  const auto it = routes_.find(channel);
  if (it == routes_.end()) return std::nullopt;
  return it->second.slot;
}

void ChannelRoutes::on_queued(std::string_view channel, size_t slot, uint64_t message_id) {
  auto it = routes_.find(channel);
  if (it == routes_.end()) {
    it = routes_.emplace(std::string(channel), Route{slot, 0}).first;
  } else if (it->second.slot != slot) {
    // The holder could not take it (it gave up, or was closed): whatever it
    // still holds has failed or is about to, so the channel moves for good.
    it->second.slot = slot;
  }
  ++it->second.unresolved;
  channel_of_.emplace(message_id, it);
}

void ChannelRoutes::on_resolved(uint64_t message_id) {
  const auto found = channel_of_.find(message_id);
  if (found == channel_of_.end()) return;
  const Routes::iterator route = found->second;
  channel_of_.erase(found);
  if (--route->second.unresolved == 0) routes_.erase(route);
}

}  // namespace tether::client
