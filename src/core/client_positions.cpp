#include "core/client_positions.h"

#include <algorithm>

namespace tether::core {

void WantedChannels::add(std::string_view channel) {
  if (!contains(channel)) channels_.emplace(std::string(channel), ChannelPosition{});
}

void WantedChannels::remove(std::string_view channel) {
  const auto it = channels_.find(channel);
  if (it != channels_.end()) channels_.erase(it);
}

void WantedChannels::forget_positions() {
  for (auto& entry : channels_) entry.second = ChannelPosition{};
  direct_offset_ = 0;
}

ChannelPosition* WantedChannels::find(std::string_view channel) {
  const auto it = channels_.find(channel);
  return it == channels_.end() ? nullptr : &it->second;
}

void WantedChannels::delivered(std::string_view channel, uint64_t offset, bool direct) {
  if (offset == 0) return;
  // Assigned, not maxed: delivery is in order, and after an epoch change
  // offsets start over below where the old epoch stood.
  if (direct) {
    direct_offset_ = offset;  // counted in the session's stream, not the channel's
  } else if (ChannelPosition* position = find(channel)) {
    position->offset = offset;
  }
}

void WantedChannels::subscribed(std::string_view channel, std::string_view epoch, uint64_t offset) {
  if (epoch.empty()) return;
  ChannelPosition* position = find(channel);
  if (position == nullptr) return;
  if (position->epoch != epoch) {
    position->epoch.assign(epoch);
    position->offset = offset;
  } else {
    // What we were delivered may be ahead of where the server starts us.
    position->offset = std::max(position->offset, offset);
  }
}

void WantedChannels::history_lost(std::string_view channel, std::string_view epoch) {
  if (channel.empty()) {
    // The session's direct stream: like a channel's, it starts over.
    direct_offset_ = 0;
    return;
  }
  if (epoch.empty()) return;
  if (ChannelPosition* position = find(channel)) {
    position->epoch.assign(epoch);
    position->offset = 0;
  }
}

const ChannelPosition* WantedChannels::position(std::string_view channel) const {
  const auto it = channels_.find(channel);
  if (it == channels_.end() || !it->second.named()) return nullptr;
  return &it->second;
}

size_t WantedChannels::positions() const {
  return static_cast<size_t>(std::count_if(channels_.begin(), channels_.end(),
                                           [](const Map::value_type& entry) { return entry.second.named(); }));
}

}  // namespace tether::core
