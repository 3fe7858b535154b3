#pragma once
// The books of a reliable exchange between peers: every send (its channel,
// per-channel sequence, message id), every resolution the sender pumped (ACK
// or SEND_FAILED, and on which pool connection), and every delivery the
// receiver pumped. From them it judges exactly-once: each send resolves
// once, each message arrives once, and in order where the C API promises
// order: per sender, per channel, per pool connection that carried it
// (sticky balancing keeps a channel on one connection while it is up; on
// failover later messages may overtake what the old connection still holds).
//
// Steps are the test's own logical clock (one tick per send and per event
// pumped), so "sent before the receiver re-subscribed" is exact, not timed.
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace tether::chaos {

struct LedgerSummary {
  uint64_t sent = 0;
  uint64_t resolved = 0;              // sends with at least one resolution
  uint64_t acked = 0;                 // resolved OK
  uint64_t failed = 0;                // resolved with a SEND_FAILED outcome
  uint64_t extra_resolutions = 0;     // second or later resolutions of one send
  uint64_t unknown_resolutions = 0;   // an id no send returned
  uint64_t delivered = 0;             // distinct messages delivered
  uint64_t lost = 0;                  // sent, never delivered
  uint64_t duplicated = 0;            // deliveries beyond the first
  uint64_t out_of_order = 0;          // behind a later message of its sender, channel and connection
  uint64_t failover_reorders = 0;     // behind a later message of its sender and channel only
  uint64_t unknown_deliveries = 0;    // a message nobody sent
};

class DeliveryLedger {
 public:
  // `capacity_per_channel`: the highest per-channel sequence any sender uses.
  DeliveryLedger(size_t peers, size_t channels, uint32_t capacity_per_channel);

  void on_sent(size_t sender, size_t channel, uint32_t seq, uint64_t message_id, uint64_t step);
  void on_resolved(size_t sender, uint64_t message_id, bool acked, uint32_t connection, uint64_t step);
  void on_delivered(size_t sender, size_t channel, uint32_t seq, uint64_t step);

  // Every send resolved and every message delivered at least once.
  bool complete() const { return resolved_ == sent_ && delivered_ == sent_; }
  uint64_t sent() const { return sent_; }
  uint64_t resolved() const { return resolved_; }
  uint64_t sent_by(size_t sender) const { return sent_by_[sender]; }
  uint64_t resolved_by(size_t sender) const { return resolved_by_[sender]; }
  // Messages of `sender` sent and not yet delivered (what the server holds).
  uint64_t in_transit_from(size_t sender) const { return sent_by_[sender] - delivered_from_[sender]; }

  LedgerSummary summarize() const;

  // One message's record, for judging a crash (what was lost, who was told).
  struct Record {
    uint64_t message_id = 0;
    uint64_t sent_step = 0;      // 0 = never sent
    uint64_t resolved_step = 0;
    uint32_t deliveries = 0;
    uint32_t resolutions = 0;
    uint32_t connection = 0;     // the pool connection its resolution came from
    bool acked = false;
  };
  // The record of (sender, channel, seq); all zero if it was never sent.
  const Record& record(size_t sender, size_t channel, uint32_t seq) const {
    return records_[index(sender, channel)].at(seq);
  }
  // Visits every sent message.
  template <typename Visit>
  void for_each_sent(Visit visit) const {
    for (size_t sender = 0; sender < peers_; ++sender) {
      for (size_t channel = 0; channel < channels_; ++channel) {
        const std::vector<Record>& records = records_[index(sender, channel)];
        for (uint32_t seq = 1; seq < records.size(); ++seq) {
          if (records[seq].sent_step != 0) visit(sender, channel, seq, records[seq]);
        }
      }
    }
  }

 private:
  struct Key {
    uint32_t channel;
    uint32_t seq;
  };
  size_t index(size_t sender, size_t channel) const { return sender * channels_ + channel; }

  size_t peers_;
  size_t channels_;
  // Per (sender, channel): records by sequence (index 0 unused), and the
  // order of first deliveries.
  std::vector<std::vector<Record>> records_;
  std::vector<std::vector<uint32_t>> delivery_order_;
  std::vector<std::unordered_map<uint64_t, Key>> by_id_;  // per sender
  std::vector<uint64_t> sent_by_;
  std::vector<uint64_t> resolved_by_;
  std::vector<uint64_t> delivered_from_;
  uint64_t sent_ = 0;
  uint64_t resolved_ = 0;
  uint64_t delivered_ = 0;
  uint64_t extra_resolutions_ = 0;
  uint64_t unknown_resolutions_ = 0;
  uint64_t unknown_deliveries_ = 0;
};

}  // namespace tether::chaos
