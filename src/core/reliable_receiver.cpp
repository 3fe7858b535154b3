#include "core/reliable_receiver.h"

#include <cstdint>
#include <utility>

namespace tether::core {

namespace {
// Where delivery stands once the sender's `base` is applied: base - 1 when
// that is past it. Never written as delivered + 1, which wraps to 0 at the
// last sequence (2^64 - 1) and would move delivery backwards.
uint64_t delivered_after_base(uint64_t base, uint64_t delivered) {
  return base > 0 && base - 1 > delivered ? base - 1 : delivered;
}
}  // namespace

ReliableReceiver::Verdict ReliableReceiver::accept(Message&& msg, std::vector<Message>& ready) {
  // The sender no longer waits for anything below `base` (acked or given up),
  // so neither do we: hand over what we hold below it and move past the gap.
  if (delivered_after_base(msg.base, delivered_up_to_) != delivered_up_to_) {
    while (!buffer_.empty() && buffer_.begin()->first < msg.base) {
      buffered_bytes_ -= bytes_of(buffer_.begin()->second);
      ready.push_back(std::move(buffer_.begin()->second));
      buffer_.erase(buffer_.begin());
    }
    delivered_up_to_ = msg.base - 1;
    ack_due_ = true;
    drain_contiguous(ready);
  }

  const uint64_t seq = msg.id;
  Verdict verdict;
  if (seq <= delivered_up_to_ || buffer_.count(seq) != 0) {
    ++duplicates_;
    // Re-ack what was delivered; with nothing delivered yet (a duplicate of a
    // buffered message) there is nothing to ack, and "upTo":0 is no valid ack.
    if (delivered_up_to_ > 0) ack_due_ = true;
    verdict = Verdict::Duplicate;
  } else if (seq - delivered_up_to_ > window_) {
    verdict = Verdict::OutOfWindow;
  } else if (seq - delivered_up_to_ == 1) {  // seq > delivered_up_to_ here
    ready.push_back(std::move(msg));
    delivered_up_to_ = seq;
    ack_due_ = true;
    drain_contiguous(ready);
    verdict = Verdict::Delivered;
  } else {
    buffered_bytes_ += bytes_of(msg);
    buffer_.emplace(seq, std::move(msg));
    verdict = Verdict::Buffered;
  }
  return verdict;
}

bool ReliableReceiver::would_buffer(const Message& msg) const {
  // Where delivery would stand after accept() applied the message's base.
  uint64_t delivered = delivered_after_base(msg.base, delivered_up_to_);
  while (delivered != UINT64_MAX && buffer_.count(delivered + 1) != 0) ++delivered;
  const uint64_t seq = msg.id;
  return seq > delivered && seq - delivered > 1 && seq - delivered <= window_ && buffer_.count(seq) == 0;
}

void ReliableReceiver::drain_contiguous(std::vector<Message>& ready) {
  while (!buffer_.empty() && buffer_.begin()->first == delivered_up_to_ + 1) {
    buffered_bytes_ -= bytes_of(buffer_.begin()->second);
    ready.push_back(std::move(buffer_.begin()->second));
    buffer_.erase(buffer_.begin());
    ++delivered_up_to_;
  }
}

void ReliableReceiver::reset() {
  delivered_up_to_ = 0;
  buffer_.clear();
  buffered_bytes_ = 0;
  ack_due_ = false;
}

}  // namespace tether::core
