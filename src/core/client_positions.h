#pragma once
// The channels the host wants, each with where the client stands in it: the
// channel's epoch and the offset of the last stream message delivered there
// (docs/PROTOCOL.md 11.1). Every subscribe carries the position back, so a
// cluster node that takes the session over continues where the last one
// stopped. A position lives only as long as its channel is wanted, so there
// are never more positions than wanted channels.
//
// One more position belongs to the session rather than to a channel: its
// direct stream, which holds what the server application sent this session
// (on any channel, wanted or not). Its offset goes back in `auth`
// ("directOffset"), so a node that takes the session over continues it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/broker.h"  // ChannelPosition, shared with the server side

namespace tether::core {

class WantedChannels {
 public:
  using Map = std::map<std::string, ChannelPosition, std::less<>>;

  // Wanted from now on; a channel wanted already keeps its position.
  void add(std::string_view channel);
  // No longer wanted: its position goes too.
  void remove(std::string_view channel);
  bool contains(std::string_view channel) const { return channels_.find(channel) != channels_.end(); }
  size_t size() const { return channels_.size(); }
  // Channel name -> position, in name order.
  const Map& entries() const { return channels_; }

  // A new session: the channels stay wanted, but where we stood, in them
  // and in the direct stream, belongs to the old one.
  void forget_positions();
  // A session the server did not resume: its direct stream is a new one.
  // Channel positions stay; the channels' streams go on.
  void forget_direct_position() { direct_offset_ = 0; }

  // A stream message at `offset` (0: none) was delivered to the host in
  // order. `direct`: the offset is the direct stream's, whatever the
  // channel; otherwise it is the channel's, ignored unless it is wanted.
  void delivered(std::string_view channel, uint64_t offset, bool direct = false);
  // Each of these is ignored for a channel that is not wanted.
  // The server confirmed a subscription starting after `offset` in `epoch`
  // ("": a server without positions, which changes nothing).
  void subscribed(std::string_view channel, std::string_view epoch, uint64_t offset);
  // The channel's history is gone; it continues in `epoch` from the start.
  // No channel: the direct stream lost messages, and starts over at 0.
  void history_lost(std::string_view channel, std::string_view epoch);

  // nullptr unless the channel is wanted and has a position (named()).
  const ChannelPosition* position(std::string_view channel) const;
  // Wanted channels with a position (never more than size()).
  size_t positions() const;
  // The offset of the last direct message delivered; 0: none.
  uint64_t direct_offset() const { return direct_offset_; }

 private:
  ChannelPosition* find(std::string_view channel);

  Map channels_;
  uint64_t direct_offset_ = 0;
};

}  // namespace tether::core
