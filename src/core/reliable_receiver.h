#pragma once
// The receiving half of reliable delivery: dedupe with a bounded window and
// in-order delivery. State is one cumulative counter plus at most `window`
// buffered out-of-order messages, never an ever-growing set of seen ids.
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "core/message.h"

namespace tether::core {

class ReliableReceiver {
 public:
  explicit ReliableReceiver(uint32_t window) : window_(window) {}

  enum class Verdict : uint8_t {
    Delivered,    // it (and maybe buffered successors) went to `ready`
    Duplicate,    // already delivered: drop it, but re-ack
    Buffered,     // ahead of a gap: held until the gap fills or the sender skips it
    OutOfWindow,  // too far ahead: dropped unacked; the sender will retry
  };

  // `msg` must be a reliable channel message (id >= 1). Messages that become
  // deliverable are appended to `ready` in sequence order.
  Verdict accept(Message&& msg, std::vector<Message>& ready);
  // True when accept() would answer Buffered: `msg` is ahead of a gap (after
  // applying its `base`) but within the window. Changes nothing.
  bool would_buffer(const Message& msg) const;

  // Highest sequence such that it and all below were delivered (or skipped
  // because the sender resolved them). This is what "ack upTo" reports.
  uint64_t delivered_up_to() const { return delivered_up_to_; }

  // True when an ack should go out: progress was made or a duplicate arrived.
  bool ack_due() const { return ack_due_; }
  void clear_ack_due() { ack_due_ = false; }

  // The peer's session was lost: start over from sequence 1.
  void reset();
  // Restores persisted state (buffered out-of-order messages are not kept:
  // they were never acked, so the sender resends them).
  void restore(uint64_t delivered_up_to) {
    reset();
    delivered_up_to_ = delivered_up_to;
  }

  uint32_t window() const { return window_; }
  size_t buffered() const { return buffer_.size(); }
  // Channel + payload bytes of the buffered messages.
  size_t buffered_bytes() const { return buffered_bytes_; }
  uint64_t duplicates() const { return duplicates_; }

 private:
  void drain_contiguous(std::vector<Message>& ready);
  static size_t bytes_of(const Message& msg) { return msg.channel.size() + msg.data.size(); }

  uint32_t window_;
  uint64_t delivered_up_to_ = 0;
  std::map<uint64_t, Message> buffer_;
  size_t buffered_bytes_ = 0;
  bool ack_due_ = false;
  uint64_t duplicates_ = 0;
};

}  // namespace tether::core
