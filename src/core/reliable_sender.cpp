#include "core/reliable_sender.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace tether::core {

const char* validate(const ReliableConfig& c) {
  if (c.ack_timeout_ms <= 0) return "ack timeout must be > 0";
  if (c.ack_timeout_ms > kMaxDurationMs) return "ack timeout must be <= 604800000 ms (7 days)";
  if (c.max_in_flight == 0) return "max in-flight reliable messages must be > 0";
  if (c.queue_max_messages == 0) return "queue message limit must be > 0";
  if (c.queue_max_bytes == 0) return "queue byte limit must be > 0";
  if (!(c.ack_backoff >= 1 && c.ack_backoff <= 16)) return "ack backoff must be in [1, 16]";
  if (c.ack_backoff > 1 && c.max_ack_timeout_ms < c.ack_timeout_ms) {
    return "max ack timeout must be >= the ack timeout";
  }
  return nullptr;
}

const char* send_outcome_name(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::Acked: return "acked";
    case SendOutcome::TimedOut: return "timed_out";
    case SendOutcome::Closed: return "closed";
    case SendOutcome::Cancelled: return "cancelled";
    case SendOutcome::PermissionDenied: return "permission_denied";
    case SendOutcome::Overflow: return "overflow";
    case SendOutcome::TooLarge: return "too_large";
    case SendOutcome::Unsupported: return "unsupported";
  }
  return "unknown";
}

ReliableSender::EnqueueResult ReliableSender::enqueue(uint64_t message_id, std::string_view channel,
                                                      std::string_view data, bool reliable,
                                                      int64_t timestamp, PayloadKind payload,
                                                      uint64_t offset, bool direct) {
  const size_t bytes = channel.size() + data.size();
  if (queue_.size() >= config_.queue_max_messages || queued_bytes_ + bytes > config_.queue_max_bytes) {
    return EnqueueResult::QueueFull;
  }
  if (config_.max_buffered_bytes > 0 && buffered_bytes() + bytes > config_.max_buffered_bytes) {
    return EnqueueResult::QueueFull;
  }
  Entry entry;
  entry.message_id = message_id;
  entry.channel.assign(channel);
  entry.data.assign(data);
  entry.timestamp = timestamp;
  entry.reliable = reliable;
  entry.payload = payload;
  entry.offset = offset;
  entry.direct = direct;
  queue_.push_back(std::move(entry));
  queued_bytes_ += bytes;
  return EnqueueResult::Ok;
}

uint64_t ReliableSender::lowest_unresolved_seq() const {
  for (const Entry& e : in_flight_) {
    if (!e.resolved) return e.seq;
  }
  return next_seq_;
}

ReliableSender::Entry* ReliableSender::find_in_flight(uint64_t seq) {
  if (in_flight_.empty() || seq < in_flight_.front().seq) return nullptr;
  const uint64_t index = seq - in_flight_.front().seq;
  if (index >= in_flight_.size()) return nullptr;
  return &in_flight_[static_cast<size_t>(index)];
}

void ReliableSender::resolve(Entry& entry, SendOutcome outcome) {
  if (entry.resolved) return;
  entry.resolved = true;
  entry.ack_deadline = kNever;
  --unresolved_in_flight_;
  in_flight_bytes_ -= bytes_of(entry);
  if (entry.backoff_level > 0) --backed_off_;
  resolutions_.push_back({entry.message_id, outcome});
}

void ReliableSender::pop_resolved_front() {
  while (!in_flight_.empty() && in_flight_.front().resolved) in_flight_.pop_front();
}

TimeMs ReliableSender::ack_timeout_at_level(uint32_t level) const {
  if (level == 0 || config_.ack_backoff <= 1) return config_.ack_timeout_ms;
  const double scaled = static_cast<double>(config_.ack_timeout_ms) * std::pow(config_.ack_backoff, level);
  if (!(scaled < static_cast<double>(config_.max_ack_timeout_ms))) return config_.max_ack_timeout_ms;
  return std::max(config_.ack_timeout_ms, static_cast<TimeMs>(scaled));
}

void ReliableSender::push_deadline(TimeMs at, uint64_t seq) {
  deadlines_.push_back({at, seq});
  std::push_heap(deadlines_.begin(), deadlines_.end(), LaterDeadline{});
}

void ReliableSender::pop_deadline() {
  std::pop_heap(deadlines_.begin(), deadlines_.end(), LaterDeadline{});
  deadlines_.pop_back();
}

void ReliableSender::arm(Entry& entry, TimeMs now) {
  entry.last_sent = now;
  entry.ack_deadline = add_saturating(now, ack_timeout_at_level(entry.backoff_level));
  push_deadline(entry.ack_deadline, entry.seq);
}

uint32_t ReliableSender::in_flight_limit() const {
  return peer_window_ == 0 ? config_.max_in_flight : std::min(config_.max_in_flight, peer_window_);
}

void ReliableSender::activate(bool resumed, uint64_t peer_delivered_up_to) {
  active_ = true;
  deadlines_.clear();
  resend_.clear();
  if (resumed) {
    for (Entry& e : in_flight_) {
      if (e.seq <= peer_delivered_up_to) resolve(e, SendOutcome::Acked);
    }
    pop_resolved_front();
  } else {
    // The peer lost its state: number the survivors afresh, in order.
    RingQueue<Entry> survivors;
    uint64_t seq = 1;
    for (Entry& e : in_flight_) {
      if (e.resolved) continue;
      e.seq = seq++;
      survivors.push_back(std::move(e));
    }
    in_flight_.swap(survivors);
    next_seq_ = seq;
  }
  // A new connection starts every backoff afresh: the stall may be over.
  backed_off_ = 0;
  for (Entry& e : in_flight_) {
    if (e.resolved) continue;
    e.ack_deadline = kNever;
    e.backoff_level = 0;
    resend_.push_back(e.seq);
  }
}

void ReliableSender::deactivate() {
  active_ = false;
  deadlines_.clear();
  resend_.clear();
  for (Entry& e : in_flight_) e.ack_deadline = kNever;
}

bool ReliableSender::next_transmit(TimeMs now, TransmitView& out) {
  if (!active_) return false;
  while (!resend_.empty()) {
    const uint64_t seq = resend_.front();
    resend_.pop_front();
    Entry* entry = find_in_flight(seq);
    if (entry == nullptr || entry->resolved || entry->ack_deadline != kNever) continue;
    arm(*entry, now);
    ++retransmissions_;
    out = {entry->channel, entry->data, entry->timestamp, entry->seq, lowest_unresolved_seq(), true,
           entry->payload, entry->offset, entry->direct};
    return true;
  }
  if (queue_.empty()) return false;
  Entry& head = queue_.front();
  if (head.reliable && next_seq_ - lowest_unresolved_seq() >= in_flight_limit()) return false;

  queued_bytes_ -= head.channel.size() + head.data.size();
  if (!head.reliable) {
    // Keep the strings alive for the view until the next call.
    last_unreliable_ = std::move(head);
    queue_.pop_front();
    out = {last_unreliable_.channel, last_unreliable_.data, last_unreliable_.timestamp, 0, 0, false,
           last_unreliable_.payload, last_unreliable_.offset, last_unreliable_.direct};
    return true;
  }
  head.seq = next_seq_++;
  in_flight_bytes_ += bytes_of(head);
  in_flight_.push_back(std::move(head));
  queue_.pop_front();
  ++unresolved_in_flight_;
  Entry& sent = in_flight_.back();
  arm(sent, now);
  out = {sent.channel, sent.data, sent.timestamp, sent.seq, lowest_unresolved_seq(), false, sent.payload,
         sent.offset, sent.direct};
  return true;
}

bool ReliableSender::handle_ack(uint64_t up_to, uint64_t single_id) {
  const size_t unresolved_before = unresolved_in_flight_;
  for (Entry& e : in_flight_) {
    if (e.seq > up_to) break;
    resolve(e, SendOutcome::Acked);
  }
  if (single_id != 0) {
    if (Entry* e = find_in_flight(single_id)) resolve(*e, SendOutcome::Acked);
  }
  pop_resolved_front();
  return unresolved_in_flight_ < unresolved_before;
}

void ReliableSender::restart_backoff(TimeMs now) {
  if (backed_off_ == 0) return;
  for (Entry& e : in_flight_) {
    if (e.resolved || e.backoff_level == 0) continue;
    e.backoff_level = 0;
    if (e.ack_deadline == kNever) continue;  // already waiting in resend_
    const TimeMs due = std::max(now, e.last_sent + config_.ack_timeout_ms);
    if (due < e.ack_deadline) {
      e.ack_deadline = due;
      push_deadline(due, e.seq);
    }
  }
  backed_off_ = 0;
}

void ReliableSender::resend_unacked() {
  if (!active_) return;
  for (Entry& e : in_flight_) {
    // kNever: already waiting in resend_. The old deadline goes stale.
    if (e.resolved || e.ack_deadline == kNever) continue;
    e.ack_deadline = kNever;
    resend_.push_back(e.seq);
  }
}

void ReliableSender::probe(TimeMs now) {
  if (!active_) return;
  for (Entry& e : in_flight_) {
    if (e.resolved) continue;
    // Only the oldest: once it is delivered, the ack restarts everyone's backoff.
    if (e.ack_deadline != kNever && e.ack_deadline > now && now - e.last_sent >= config_.ack_timeout_ms) {
      e.ack_deadline = now;
      push_deadline(now, e.seq);
    }
    return;
  }
}

uint64_t ReliableSender::handle_refused(uint64_t seq, SendOutcome outcome) {
  uint64_t message_id = 0;
  Entry* entry = find_in_flight(seq);
  if (entry != nullptr && !entry->resolved) {
    message_id = entry->message_id;
    resolve(*entry, outcome);
  }
  pop_resolved_front();
  return message_id;
}

void ReliableSender::handle_timeout(TimeMs now) {
  while (!deadlines_.empty() && deadlines_.front().at <= now) {
    const Deadline due = deadlines_.front();
    pop_deadline();
    Entry* entry = find_in_flight(due.seq);
    // Stale deadline: acked, or re-armed by a later transmission.
    if (entry == nullptr || entry->resolved || entry->ack_deadline != due.at) continue;
    if (!config_.retry_forever && entry->retries >= config_.max_retries) {
      resolve(*entry, SendOutcome::TimedOut);
      continue;
    }
    ++entry->retries;
    if (entry->backoff_level++ == 0) ++backed_off_;
    entry->ack_deadline = kNever;
    resend_.push_back(entry->seq);
  }
  pop_resolved_front();
}

TimeMs ReliableSender::next_timeout() const {
  // Stale entries at the front only make the caller wake early, which is harmless.
  return deadlines_.empty() ? kNever : deadlines_.front().at;
}

void ReliableSender::fail_all(SendOutcome outcome) {
  for (Entry& e : in_flight_) resolve(e, outcome);
  in_flight_.clear();
  for (Entry& e : queue_) {
    if (e.reliable) resolutions_.push_back({e.message_id, outcome});
  }
  queue_.clear();
  queued_bytes_ = 0;
  in_flight_bytes_ = 0;
  backed_off_ = 0;
  resend_.clear();
  deadlines_.clear();
}

size_t ReliableSender::discard_if(const UnfitFn& unfit, SendOutcome outcome) {
  for (Entry& e : in_flight_) {
    if (!e.resolved && unfit(e.channel, e.data, e.payload)) resolve(e, outcome);
  }
  pop_resolved_front();
  size_t unreliable = 0;
  RingQueue<Entry> kept;
  for (Entry& e : queue_) {
    if (!unfit(e.channel, e.data, e.payload)) {
      kept.push_back(std::move(e));
      continue;
    }
    queued_bytes_ -= bytes_of(e);
    if (e.reliable) {
      resolutions_.push_back({e.message_id, outcome});
    } else {
      ++unreliable;
    }
  }
  queue_.swap(kept);
  return unreliable;
}

ReliableSender::Snapshot ReliableSender::snapshot() const {
  Snapshot out;
  out.next_seq = next_seq_;
  for (const Entry& e : in_flight_) {
    if (!e.resolved) {
      out.in_flight.push_back(
          {e.message_id, e.channel, e.data, e.timestamp, true, e.seq, e.payload, e.offset, e.direct});
    }
  }
  for (const Entry& e : queue_) {
    out.queued.push_back({e.message_id, e.channel, e.data, e.timestamp, e.reliable, 0, e.payload, e.offset, e.direct});
  }
  return out;
}

void ReliableSender::restore(const Snapshot& snapshot) {
  active_ = false;
  in_flight_.clear();
  queue_.clear();
  resend_.clear();
  deadlines_.clear();
  queued_bytes_ = 0;
  unresolved_in_flight_ = 0;
  in_flight_bytes_ = 0;
  backed_off_ = 0;
  next_seq_ = snapshot.next_seq;
  // In-flight seqs must stay contiguous for find_in_flight(); gaps left by
  // messages resolved before the snapshot become already-resolved fillers.
  for (const PendingMessage& p : snapshot.in_flight) {
    if (p.seq == 0 || p.seq >= next_seq_ || (!in_flight_.empty() && p.seq <= in_flight_.back().seq)) continue;
    while (!in_flight_.empty() && in_flight_.back().seq + 1 < p.seq) {
      Entry filler;
      filler.seq = in_flight_.back().seq + 1;
      filler.reliable = true;
      filler.resolved = true;
      in_flight_.push_back(std::move(filler));
    }
    Entry e;
    e.message_id = p.message_id;
    e.channel = p.channel;
    e.data = p.data;
    e.timestamp = p.timestamp;
    e.reliable = true;
    e.payload = p.payload;
    e.seq = p.seq;
    e.offset = p.offset;
    e.direct = p.direct;
    in_flight_bytes_ += bytes_of(e);
    in_flight_.push_back(std::move(e));
    ++unresolved_in_flight_;
  }
  for (const PendingMessage& p : snapshot.queued) {
    enqueue(p.message_id, p.channel, p.data, p.reliable, p.timestamp, p.payload, p.offset, p.direct);
  }
}

bool ReliableSender::poll_resolution(SendResolution& out) {
  if (resolutions_read_ >= resolutions_.size()) {
    resolutions_.clear();
    resolutions_read_ = 0;
    return false;
  }
  out = resolutions_[resolutions_read_++];
  return true;
}

}  // namespace tether::core
