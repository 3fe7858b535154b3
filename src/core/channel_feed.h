#pragma once
// One channel's messages as a cluster node sees them, in offset order with
// none missing. Redis pub/sub is at most once: a node whose subscriber
// connection dropped misses what was published meanwhile, and nothing says
// so. The channel's stream has it all, numbered by offset, so the feed
// notices a gap (an offset beyond the next one expected, or a top offset
// read after a reconnect) and asks for the missing range from the stream,
// holding later messages until the range has come. Pure logic: the broker
// moves the messages and the range requests (cluster_broker.cpp).
//
// Unreliable messages (offset 0) have no place in the stream: they go out at
// once, ahead of any gap being filled.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"
#include "core/ring_queue.h"

namespace tether::core {

struct FeedEntry {
  uint64_t offset = 0;  // 0: unreliable
  bool reliable = false;
  PayloadKind payload = PayloadKind::Json;
  std::string data;
  std::string channel;  // where it is delivered, if not the feed's own channel (a session's direct messages)
};

class ChannelFeed {
 public:
  // Messages held behind a gap, in bytes of data. Beyond it they are let
  // go: the stream has them, and the range requested covers them.
  static constexpr size_t kDefaultMaxHeldBytes = 4u << 20;
  // Offsets asked for in one range request.
  static constexpr uint64_t kMaxRangeEntries = 1000;

  explicit ChannelFeed(size_t max_held_bytes = kDefaultMaxHeldBytes) : max_held_bytes_(max_held_bytes) {}

  // The channel's epoch and last offset, read from Redis ("" and 0 for a
  // channel nothing was ever published on). The first call
  // starts the feed: what follows `top` is delivered, earlier offsets are
  // not. Later calls (after a reconnect) fetch anything up to `top` that was
  // missed. An epoch other than the feed's means Redis lost the channel's
  // history: history_lost() turns true and the feed continues in the new
  // epoch.
  void handle_top(std::string_view epoch, uint64_t top);
  // A pub/sub message. Before the feed started, reliable ones wait for
  // handle_top (and unreliable ones are dropped: there is nobody yet).
  void handle_message(std::string_view epoch, FeedEntry&& entry);
  // The answer to the range request in flight: stream entries in offset
  // order (possibly fewer than asked: trimmed from the history, or the
  // stream expired). Offsets the stream no longer had are skipped, and
  // history_lost() says so.
  // `request` is the one poll_range_request gave; answers to older requests
  // (from before an epoch change) are ignored.
  void handle_range(uint64_t request, std::vector<FeedEntry>&& entries);
  // The range request failed (Redis unreachable): asked again by poll_range_request.
  void handle_range_failed(uint64_t request);

  bool poll_delivery(FeedEntry& out);
  // A range to fetch: offsets [from, to], at most kMaxRangeEntries. At most
  // one is in flight; `request` names it in the answer.
  bool poll_range_request(uint64_t& request, uint64_t& from, uint64_t& to);
  // True once since the last call if offsets were skipped because Redis no
  // longer had them, or the epoch changed.
  bool take_history_lost() {
    const bool lost = history_lost_;
    history_lost_ = false;
    return lost;
  }

  bool started() const { return started_; }
  const std::string& epoch() const { return epoch_; }
  uint64_t next_offset() const { return next_; }  // the next reliable offset to deliver
  size_t held() const { return held_.size(); }
  size_t held_bytes() const { return held_bytes_; }

 private:
  void hold(FeedEntry&& entry);
  void release_held();
  void want_range_up_to(uint64_t top);
  void deliver(FeedEntry&& entry);
  void restart_epoch(std::string_view epoch);

  size_t max_held_bytes_;
  bool started_ = false;
  std::string epoch_;
  uint64_t next_ = 1;         // offsets below it went out (or predate the feed)
  uint64_t known_top_ = 0;    // the highest offset known to exist
  bool range_in_flight_ = false;
  bool range_wanted_ = false;
  uint64_t range_request_ = 0;  // the latest request's number
  uint64_t range_to_ = 0;
  bool history_lost_ = false;
  std::vector<FeedEntry> held_;  // reliable messages past a gap, sorted by offset
  size_t held_bytes_ = 0;
  RingQueue<FeedEntry> out_;
};

}  // namespace tether::core
