#include "core/channel_feed.h"

#include <algorithm>
#include <utility>

namespace tether::core {

void ChannelFeed::handle_top(std::string_view epoch, uint64_t top) {
  if (!started_) {
    started_ = true;
    epoch_.assign(epoch);
    next_ = top + 1;
    // Held messages at or below `top` were published before the feed began.
    release_held();
  } else if (epoch != epoch_) {
    restart_epoch(epoch);
  }
  known_top_ = std::max(known_top_, top);
  want_range_up_to(known_top_);
}

void ChannelFeed::handle_message(std::string_view epoch, FeedEntry&& entry) {
  if (entry.offset == 0) {
    if (started_) deliver(std::move(entry));
    return;
  }
  if (!started_) {
    hold(std::move(entry));
    return;
  }
  if (epoch != epoch_) restart_epoch(epoch);
  if (entry.offset < next_) return;  // delivered already (a range got it first)
  known_top_ = std::max(known_top_, entry.offset);
  if (entry.offset == next_) {
    ++next_;
    deliver(std::move(entry));
    release_held();
    return;
  }
  hold(std::move(entry));
  want_range_up_to(known_top_);
}

void ChannelFeed::handle_range(uint64_t request, std::vector<FeedEntry>&& entries) {
  if (!range_in_flight_ || request != range_request_) return;  // about an older epoch
  range_in_flight_ = false;
  for (FeedEntry& entry : entries) {
    if (entry.offset < next_ || entry.offset > range_to_) continue;
    if (entry.offset > next_) history_lost_ = true;  // trimmed away before we asked
    next_ = entry.offset + 1;
    deliver(std::move(entry));
  }
  // The stream no longer has the rest of the range (it expired, or Redis
  // lost it): skip it rather than ask forever.
  if (next_ <= range_to_) {
    history_lost_ = true;
    next_ = range_to_ + 1;
  }
  release_held();
  want_range_up_to(known_top_);
}

void ChannelFeed::handle_range_failed(uint64_t request) {
  if (!range_in_flight_ || request != range_request_) return;
  range_in_flight_ = false;
  want_range_up_to(known_top_);
}

bool ChannelFeed::poll_delivery(FeedEntry& out) {
  if (out_.empty()) return false;
  out = std::move(out_.front());
  out_.pop_front();
  return true;
}

bool ChannelFeed::poll_range_request(uint64_t& request, uint64_t& from, uint64_t& to) {
  if (range_in_flight_ || !range_wanted_) return false;
  // Up to the first held message (what follows it may be held too), else
  // up to the highest offset known to exist.
  const uint64_t target = held_.empty() ? known_top_ : held_.front().offset - 1;
  if (target < next_) {
    range_wanted_ = false;
    return false;
  }
  range_in_flight_ = true;
  range_to_ = std::min(target, next_ + kMaxRangeEntries - 1);
  request = ++range_request_;
  from = next_;
  to = range_to_;
  return true;
}

void ChannelFeed::hold(FeedEntry&& entry) {
  known_top_ = std::max(known_top_, entry.offset);
  // Past the bound it is let go: the range request will fetch it.
  if (held_bytes_ + entry.data.size() > max_held_bytes_) return;
  auto at = std::lower_bound(held_.begin(), held_.end(), entry.offset,
                             [](const FeedEntry& held, uint64_t offset) { return held.offset < offset; });
  if (at != held_.end() && at->offset == entry.offset) return;  // held already
  held_bytes_ += entry.data.size();
  held_.insert(at, std::move(entry));
}

// Delivers the held messages that are next in line, and forgets those that
// are behind it.
void ChannelFeed::release_held() {
  size_t used = 0;
  for (; used < held_.size() && held_[used].offset <= next_; ++used) {
    held_bytes_ -= held_[used].data.size();
    if (held_[used].offset < next_) continue;
    ++next_;
    deliver(std::move(held_[used]));
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(used));
  if (held_.empty()) std::vector<FeedEntry>().swap(held_);  // a gap's burst is not kept
}

void ChannelFeed::want_range_up_to(uint64_t top) {
  if (top >= next_) range_wanted_ = true;
}

void ChannelFeed::deliver(FeedEntry&& entry) { out_.push_back(std::move(entry)); }

// Redis lost the channel (restarted without its data, or the keys expired):
// offsets start again from 1 in a new epoch. What was held or asked for
// belongs to the old one.
void ChannelFeed::restart_epoch(std::string_view epoch) {
  // No epoch yet: the channel had no history when the feed began, and this
  // is its first.
  history_lost_ = !epoch_.empty();
  epoch_.assign(epoch);
  next_ = 1;
  known_top_ = 0;
  held_.clear();
  held_bytes_ = 0;
  range_in_flight_ = false;  // its answer is about the old epoch: ignored
  range_wanted_ = false;
}

}  // namespace tether::core
