#pragma once
// Per-channel order across a pool failover, for sticky-channel balancing.
// A channel's messages normally go to its home connection. If that one is
// down, new messages may not fail over to another connection while the
// down one still holds unresolved messages of the channel: those are resent
// after it resumes, so the new ones would overtake them. So a channel stays
// routed to the connection that holds its unresolved messages, and is free
// to move only once every one of them has resolved (acked or failed).
//
// Pure bookkeeping; the engine calls it under its session mutex. Memory is
// one entry per channel with unresolved messages plus one per unresolved
// message, so it is bounded by the sessions' queue and in-flight limits.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tether::client {

class ChannelRoutes {
 public:
  // The connection holding unresolved messages of `channel`, if any.
  std::optional<size_t> holder(std::string_view channel) const;
  // A reliable message of `channel` was queued on `slot` as `message_id`.
  void on_queued(std::string_view channel, size_t slot, uint64_t message_id);
  // `message_id` resolved (acked or failed); unknown ids are ignored.
  void on_resolved(uint64_t message_id);

  size_t channels() const { return routes_.size(); }
  size_t unresolved() const { return channel_of_.size(); }

 private:
  struct Route {
    size_t slot = 0;
    size_t unresolved = 0;
  };
  using Routes = std::map<std::string, Route, std::less<>>;  // looked up by string_view
  Routes routes_;
  std::unordered_map<uint64_t, Routes::iterator> channel_of_;  // map iterators stay valid
};

}  // namespace tether::client
