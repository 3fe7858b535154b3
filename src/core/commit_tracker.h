#pragma once
// Reliable publishes a distributed broker has not yet made durable.
//
// With the in-process broker a publish is routed the moment the receiver
// delivers it, so the session acks it at once. A cluster broker (Redis)
// commits it asynchronously, in one atomic step that also records the
// session's highest committed sequence, so a client whose node dies can
// resume on another without losing or repeating it. Until that step
// succeeds the client must not see an ack: the session acks at most up to
// ack_limit(). A failed commit rolls the session back to the last committed
// sequence; everything after it goes unacked and the client resends it.
//
// Publishes are begun in sequence order (the receiver delivers in order).
// Their commits are answered in that order too (one broker connection), but
// the tracker does not rely on it.
#include <cstddef>
#include <cstdint>

#include "core/ring_queue.h"

namespace tether::core {

class CommitTracker {
 public:
  // `seq` was delivered by the receiver and handed to the broker. Returns
  // the sequence of the publish handed over before it (0 for none): the
  // broker commits `seq` only if that one is the last it committed, so a
  // failed commit can never be skipped over by a later one.
  uint64_t begin(uint64_t seq) {
    const uint64_t previous = last_begun_;
    pending_.push_back(seq);
    last_begun_ = seq;
    return previous;
  }
  // The broker made `seq` durable (or found it already was: a resend).
  void succeeded(uint64_t seq) {
    if (!forget(seq)) return;
    if (seq > last_committed_) last_committed_ = seq;
  }
  // The broker could not commit `seq`. Every later pending commit is moot:
  // the broker refuses it (its predecessor is missing), and the session
  // rolls back to rollback_point() so the client resends them all. False
  // for an answer that no longer matters (already rolled back).
  bool failed(uint64_t seq) {
    if (!forget(seq)) return false;
    pending_.clear();
    last_begun_ = last_committed_;
    ++failures_;
    return true;
  }
  // The highest client sequence the session may ack, given how far its
  // receiver delivered.
  uint64_t ack_limit(uint64_t delivered_up_to) const {
    if (pending_.empty()) return delivered_up_to;
    const uint64_t below_oldest = pending_.front() - 1;  // begun in sequence order
    return below_oldest < delivered_up_to ? below_oldest : delivered_up_to;
  }
  // Where the receiver goes back to after a failure.
  uint64_t rollback_point() const { return last_committed_; }
  uint64_t last_committed() const { return last_committed_; }
  size_t pending() const { return pending_.size(); }
  uint64_t failures() const { return failures_; }
  // A session loaded from the broker: `committed` is what it had recorded.
  void reset(uint64_t committed) {
    pending_.clear();
    last_begun_ = committed;
    last_committed_ = committed;
  }

 private:
  bool forget(uint64_t seq) {
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (pending_[i] != seq) continue;
      // Usually the front; otherwise shift the older ones up by one.
      for (size_t j = i; j > 0; --j) pending_[j] = pending_[j - 1];
      pending_.pop_front();
      return true;
    }
    return false;  // already rolled back: a late answer changes nothing
  }

  RingQueue<uint64_t> pending_;
  uint64_t last_begun_ = 0;
  uint64_t last_committed_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace tether::core
