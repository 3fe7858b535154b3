// ClientSession: the peer's frame limits. A frame the peer refuses costs the
// connection (1009) and, resent, costs the next one too, so nothing goes out
// that is known not to fit: the writer packs frames within the peer's byte
// and element limits, send() refuses what can never fit, and messages queued
// before a smaller limit became known resolve once as TooLarge.
//
// The peer's limit is known from auth_success (maxFrame, maxBatch), or, for
// a peer that does not advertise it, learned from a 1009 close: the peer
// refused a frame sent on that connection, so it accepts nothing as large as
// the largest one. Each such close lowers the limit below a frame actually
// sent (or halves the room for batches), so 1009 closes cannot repeat
// forever: every one of them fails at least one message or halves batches.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include "core/client_session.h"

namespace tether::core {

size_t ClientSession::frame_limit() const {
  const size_t own = config_.limits.max_frame_bytes;
  return peer_max_frame_ == 0 ? own : std::min(own, peer_max_frame_);
}

bool ClientSession::fits_in_frame(std::string_view channel, size_t data_bytes) const {
  // The bound the server refuses a publish by (section 3.7): its delivery, offset and direct mark included.
  return channel_message_bound(channel, data_bytes, true) <= frame_limit();
}

void ClientSession::learn_peer_limits(const Message& auth_success) {
  if (auth_success.max_frame != 0) {
    peer_max_frame_ = static_cast<size_t>(
        std::min<uint64_t>(auth_success.max_frame, std::numeric_limits<size_t>::max()));
    peer_frame_advertised_ = true;
    batch_budget_ = 0;  // the peer's word supersedes what earlier 1009 closes suggested
  } else if (peer_frame_advertised_) {
    // An older server took over this address: its limits are unknown again.
    peer_max_frame_ = 0;
    peer_frame_advertised_ = false;
  }
  peer_max_batch_ = auth_success.max_batch;
}

bool ClientSession::learn_from_too_big_close() {
  const size_t largest = largest_frame_sent_;
  // Nothing sent, or everything within what the peer advertised: the 1009
  // is not about our frames (say our transport refused one of the peer's).
  if (largest == 0 || (peer_frame_advertised_ && largest <= peer_max_frame_)) return false;
  if (!peer_frame_advertised_) {
    peer_max_frame_ = peer_max_frame_ == 0 ? largest - 1 : std::min(peer_max_frame_, largest - 1);
  }
  if (largest_frame_was_batch_) {
    // Any message in it could have been the one too many: halve the room
    // for batches rather than guess. A single message still goes alone.
    const size_t half = largest / 2;
    batch_budget_ = batch_budget_ == 0 ? half : std::min(batch_budget_, half);
  }
  apply_frame_limits();
  return true;
}

void ClientSession::apply_frame_limits() {
  const size_t limit = frame_limit();
  const size_t batch_bytes = batch_budget_ == 0 ? limit : std::min(limit, batch_budget_);
  const size_t own_batch = config_.limits.max_batch;
  outbox_.writer().set_limits(batch_bytes, peer_max_batch_ == 0 ? own_batch : std::min(own_batch, peer_max_batch_));
  if (limit >= config_.limits.max_frame_bytes) return;  // send() already held everything to this
  const size_t dropped = sender_.discard_if(
      [this](std::string_view channel, std::string_view data, PayloadKind) {
        return !fits_in_frame(channel, data.size());
      },
      SendOutcome::TooLarge);
  if (dropped > 0) {
    emit_error("too_large", std::to_string(dropped) +
                                " unreliable message(s) dropped: larger than the " + std::to_string(limit) +
                                "-byte frames the server accepts");
  }
}

// Binary payloads queued while offline wait for a server that takes them;
// one that did not negotiate binary never will on this connection, so they
// resolve now rather than block the queue behind them.
void ClientSession::drop_binary_if_unsupported() {
  if (peer_binary_) return;
  const size_t dropped = sender_.discard_if(
      [](std::string_view, std::string_view, PayloadKind payload) { return payload == PayloadKind::Binary; },
      SendOutcome::Unsupported);
  if (dropped > 0) {
    emit_error("binary_unsupported", std::to_string(dropped) +
                                         " unreliable binary message(s) dropped: the server did not "
                                         "negotiate binary frames");
  }
}

}  // namespace tether::core
