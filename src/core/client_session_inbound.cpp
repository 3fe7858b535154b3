// ClientSession: inbound channel messages and the host's backpressure. While
// the host is not draining events (set_inbound_paused), reliable messages
// are let go unacked (deferred) for the server to resend, and unreliable
// ones are dropped and counted; on resuming, the session asks for what it
// let go (an ack with "resend", docs/PROTOCOL.md 6.5). And when acks go out:
// the ack of a lone message waits briefly to ride in the next frame.
#include <algorithm>
#include <cstdint>
#include <utility>

#include "core/client_session.h"

namespace tether::core {

void ClientSession::handle_channel(Message&& msg) {
  if (!msg.require_ack) {
    if (inbound_paused_) {
      ++counters_.dropped_unreliable;
    } else {
      deliver(std::move(msg), false);
    }
    return;
  }
  // Deferred: neither delivered, held nor acked; the server resends it. A
  // pause leaves a gap, so until delivery has passed everything deferred,
  // messages ahead of the gap are deferred too rather than held for
  // reordering: the one filling the gap would release them all at once,
  // far past the host's pending-event bound.
  if (inbound_paused_ || (receiver_.delivered_up_to() < deferred_up_to_ && receiver_.would_buffer(msg))) {
    ++counters_.deferred_reliable;
    deferred_up_to_ = std::max(deferred_up_to_, msg.id);
    return;
  }
  const uint64_t duplicates_before = receiver_.duplicates();
  receiver_.accept(std::move(msg), ready_);
  counters_.duplicates_dropped += receiver_.duplicates() - duplicates_before;
  for (Message& ready : ready_) {
    // Only in-order delivery moves a position: a message held behind a gap
    // is not ours yet, and a node taking over would skip the gap.
    subscriptions_.delivered(ready.channel, ready.offset, ready.direct);
    deliver(std::move(ready), true);
  }
  ready_.clear();
}

void ClientSession::set_inbound_paused(bool paused) {
  const bool resuming = inbound_paused_ && !paused;
  inbound_paused_ = paused;
  // The ack names upTo, so it needs one delivered message; before the first
  // the server's timers (and its probe on our pings) resend as usual.
  const uint64_t delivered = receiver_.delivered_up_to();
  if (!resuming || state_ != ClientState::Ready || deferred_up_to_ <= delivered || delivered == 0) return;
  Message ack;
  ack.type = MessageType::Ack;
  ack.up_to = delivered;
  ack.resend = true;
  outbox_.queue_control(ack);
  ack_at_ = kNever;  // this one says it all
  acked_up_to_ = delivered;
  receiver_.clear_ack_due();
}

void ClientSession::schedule_ack(TimeMs now) {
  if (!receiver_.ack_due()) return;
  const bool lone = receiver_.delivered_up_to() <= acked_up_to_ + 1 && receiver_.duplicates() == duplicates_at_ack_;
  if (lone && config_.ack_delay_ms > 0) {
    ack_at_ = std::min(ack_at_, now + config_.ack_delay_ms);
    return;
  }
  queue_ack_now();
}

void ClientSession::queue_ack_now() {
  ack_at_ = kNever;
  acked_up_to_ = receiver_.delivered_up_to();
  duplicates_at_ack_ = receiver_.duplicates();
  outbox_.queue_ack_if_due(receiver_);
}

}  // namespace tether::core
