#pragma once
// The sending half of reliable delivery, plus the bounded outbound queue that
// holds sends made while offline or while the in-flight window is full.
//
// Every message is queued in send order. When the link is usable, messages
// leave the queue in that order; reliable ones get the next per-session
// sequence number and stay in flight until acked, retried on ack timeout, or
// resolved as failed. Every reliable message resolves exactly once.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"
#include "core/ring_queue.h"
#include "core/time.h"

namespace tether::core {

struct ReliableConfig {
  TimeMs ack_timeout_ms = 5000;
  uint32_t max_retries = 5;           // resends after an ack timeout before the send fails
  uint32_t max_in_flight = 1024;      // unacked reliable messages on the wire; <= the peer's window
  size_t queue_max_messages = 4096;   // queued (not yet transmitted) messages, reliable or not
  size_t queue_max_bytes = 4u << 20;  // channel + payload bytes of queued messages
  // Each resend of one message waits ack_backoff times longer than the one
  // before, up to max_ack_timeout_ms. 1 = a fixed ack timer.
  double ack_backoff = 1.0;
  TimeMs max_ack_timeout_ms = 30000;
  // Never resolve TimedOut (max_retries is ignored): a message waits as long
  // as the session lives. The server's choice: a client that stops reading
  // but still pings is slow, not gone.
  bool retry_forever = false;
  // If > 0, also bounds the channel + payload bytes of queued plus unacked
  // messages: the whole buffer held for the peer, not only its queue.
  size_t max_buffered_bytes = 0;
};

const char* validate(const ReliableConfig& config);

// How a reliable send ended. Exactly one per reliable message.
enum class SendOutcome : uint8_t {
  Acked,             // the peer delivered it to its application
  TimedOut,          // no ack after max_retries resends
  Closed,            // the session ended for good (manual close, gave up)
  Cancelled,         // withdrawn before it was ever transmitted
  PermissionDenied,  // the peer refused it
  Overflow,          // dropped by the peer-facing buffer (server side: slow consumer)
  TooLarge,          // larger than the peer accepts in one frame; never resent
  Unsupported,       // a binary payload, and the peer's connection did not negotiate binary
};

const char* send_outcome_name(SendOutcome outcome);

struct SendResolution {
  uint64_t message_id;
  SendOutcome outcome;
};

// A message ready to go on the wire. Views stay valid until the next
// mutating call on the sender.
struct TransmitView {
  std::string_view channel;
  std::string_view data;
  int64_t timestamp;
  uint64_t seq;   // 0 for unreliable
  uint64_t base;  // lowest unresolved seq, for reliable messages
  bool retransmission;
  PayloadKind payload;
  uint64_t offset = 0;  // the message's place in its stream; 0: none
  bool direct = false;  // the stream is the session's own (section 11.1), not the channel's
};

class ReliableSender {
 public:
  explicit ReliableSender(const ReliableConfig& config) : config_(config) {}

  enum class EnqueueResult : uint8_t { Ok, QueueFull };
  // `message_id` is the caller's id (unique per client), reported back in
  // resolutions; 0 is allowed for unreliable messages. `offset` and
  // `direct` (server side, section 11.1) go out with every transmission of
  // the message; offset 0: none.
  EnqueueResult enqueue(uint64_t message_id, std::string_view channel, std::string_view data,
                        bool reliable, int64_t timestamp, PayloadKind payload = PayloadKind::Json,
                        uint64_t offset = 0, bool direct = false);

  // Connection lifecycle. While not active nothing is transmitted and ack
  // timers are paused: an outage is not the receiver's fault.
  // `resumed`: the peer kept its state; every seq <= peer_delivered_up_to was
  // delivered (its ack may have been lost), so those resolve as Acked.
  // Not resumed: the peer starts fresh, so in-flight messages are renumbered
  // from 1 in their original order. Either way the rest is resent.
  void activate(bool resumed, uint64_t peer_delivered_up_to);
  void deactivate();
  bool active() const { return active_; }

  // The next message to put on the wire now, retransmissions first.
  bool next_transmit(TimeMs now, TransmitView& out);

  // Returns true if the ack resolved anything: the peer is making progress.
  bool handle_ack(uint64_t up_to, uint64_t single_id);
  // The peer made progress (after handle_ack returned true): its earlier
  // silence was a stall, not loss, so backed-off messages return to the base
  // ack timeout counted from their last transmission (at once if that has
  // passed). No-op without backoff.
  void restart_backoff(TimeMs now);
  // The peer is alive (it pinged): if the oldest unacked message has waited
  // a base ack timeout since it was last sent, resend it now rather than at
  // its backed-off deadline, so a peer that resumes reading is not kept
  // waiting for the longest backoff.
  void probe(TimeMs now);
  // The peer let the unacked messages go and takes them again (an ack with
  // "resend", docs/PROTOCOL.md 6.5): every one in flight goes out again at
  // the next transmit, in order, instead of at its (backed-off) ack timer.
  // Retries are not counted: no timer expired.
  void resend_unacked();
  // The peer's receive window (auth `window`): at most this many sequences
  // in flight beyond the lowest unresolved one, and never more than
  // max_in_flight. 0 = the peer named none.
  void set_peer_window(uint32_t window) { peer_window_ = window; }
  uint32_t in_flight_limit() const;
  // The peer refused a reliable message; it resolves as `outcome`.
  // Returns the caller's message id for that seq, or 0 if it is not in flight.
  uint64_t handle_refused(uint64_t seq, SendOutcome outcome = SendOutcome::PermissionDenied);
  void handle_timeout(TimeMs now);
  TimeMs next_timeout() const;

  // Resolves everything, queued or in flight (reliable only), with `outcome`;
  // unreliable queued messages are discarded.
  void fail_all(SendOutcome outcome);

  // Resolves with `outcome` every unresolved reliable message, queued or in
  // flight, for which unfit(channel, data, payload) holds, and discards such
  // queued unreliable ones. Later messages carry a higher base, so the peer
  // stops waiting for a resolved sequence. Returns how many unreliable were discarded.
  using UnfitFn = std::function<bool(std::string_view channel, std::string_view data, PayloadKind payload)>;
  size_t discard_if(const UnfitFn& unfit, SendOutcome outcome);

  bool poll_resolution(SendResolution& out);

  // Everything unresolved, for persisting a session across a server restart.
  struct PendingMessage {
    uint64_t message_id = 0;
    std::string channel;
    std::string data;
    int64_t timestamp = 0;
    bool reliable = false;
    uint64_t seq = 0;  // 0 while still queued
    PayloadKind payload = PayloadKind::Json;
    uint64_t offset = 0;
    bool direct = false;
  };
  struct Snapshot {
    uint64_t next_seq = 1;
    std::vector<PendingMessage> in_flight;  // seq order
    std::vector<PendingMessage> queued;     // send order
  };
  Snapshot snapshot() const;
  // Replaces all state (inactive) with a snapshot taken by snapshot().
  void restore(const Snapshot& snapshot);

  // Introspection for stats and tests.
  size_t queued_messages() const { return queue_.size(); }
  size_t queued_bytes() const { return queued_bytes_; }
  size_t in_flight() const { return unresolved_in_flight_; }
  size_t in_flight_bytes() const { return in_flight_bytes_; }
  // Queued plus unacked channel + payload bytes (max_buffered_bytes bounds it).
  size_t buffered_bytes() const { return queued_bytes_ + in_flight_bytes_; }
  uint64_t next_seq() const { return next_seq_; }
  uint64_t lowest_unresolved_seq() const;
  uint64_t retransmissions() const { return retransmissions_; }

 private:
  struct Entry {
    uint64_t message_id = 0;
    std::string channel;
    std::string data;
    int64_t timestamp = 0;
    bool reliable = false;
    PayloadKind payload = PayloadKind::Json;
    bool resolved = false;  // the small fields together: direct costs no padding
    bool direct = false;
    uint64_t seq = 0;
    uint64_t offset = 0;
    uint32_t retries = 0;
    uint32_t backoff_level = 0;  // resends since the peer last made progress
    TimeMs ack_deadline = kNever;
    TimeMs last_sent = kNever;
  };
  // Two cache lines where std::string takes 32 bytes (libstdc++, MSVC release).
  static_assert(sizeof(std::string) != 32 || sizeof(Entry) <= 128, "a sender entry grew past 128 bytes");
  struct Deadline {
    TimeMs at;
    uint64_t seq;
  };
  // Orders the deadline heap: earliest first, then lowest sequence.
  struct LaterDeadline {
    bool operator()(const Deadline& a, const Deadline& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };

  static size_t bytes_of(const Entry& entry) { return entry.channel.size() + entry.data.size(); }
  Entry* find_in_flight(uint64_t seq);
  void resolve(Entry& entry, SendOutcome outcome);
  void pop_resolved_front();
  void arm(Entry& entry, TimeMs now);
  TimeMs ack_timeout_at_level(uint32_t level) const;
  void push_deadline(TimeMs at, uint64_t seq);
  void pop_deadline();

  ReliableConfig config_;
  bool active_ = false;
  RingQueue<Entry> queue_;           // not yet transmitted on the current session
  Entry last_unreliable_;            // backs the view of the last unreliable transmit
  size_t queued_bytes_ = 0;
  RingQueue<Entry> in_flight_;       // transmitted, seq-contiguous from front
  size_t unresolved_in_flight_ = 0;
  size_t in_flight_bytes_ = 0;       // of unresolved in-flight messages
  size_t backed_off_ = 0;            // unresolved in-flight messages with backoff_level > 0
  uint32_t peer_window_ = 0;
  RingQueue<uint64_t> resend_;       // seqs to retransmit, in order
  // Ack deadlines, a min-heap (with backoff they are not armed in order).
  // Stale entries stay until they reach the top and are skipped there.
  std::vector<Deadline> deadlines_;
  std::vector<SendResolution> resolutions_;
  size_t resolutions_read_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t retransmissions_ = 0;
};

}  // namespace tether::core
