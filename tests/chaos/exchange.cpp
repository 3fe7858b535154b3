#include "exchange.h"

#include <chrono>
#include <thread>
#include <utility>

namespace tether::chaos {

Exchange::Exchange(const ExchangeOptions& options, std::vector<ChaosPeer*> peers)
    : options_(options),
      peers_(std::move(peers)),
      ledger_(peers_.size(), options.channels, sequences_per_channel(options)),
      next_message_(peers_.size(), 0),
      // Whole rounds over the channels, so a fence is one message on each.
      target_per_peer_((sequences_per_channel(options) - 1) * options.channels),
      rng_(options.seed) {}

uint32_t Exchange::sequences_per_channel(const ExchangeOptions& options) {
  return static_cast<uint32_t>((options.messages_per_peer + options.channels - 1) / options.channels + 1);
}

size_t Exchange::frame() {
  size_t work = 0;
  for (ChaosPeer* peer : peers_) work += peer->pump(ledger_, step_);
  for (size_t p = 0; sending_ && p < peers_.size(); ++p) {
    const uint64_t before = ledger_.sent_by(p);
    send_some(p);
    work += ledger_.sent_by(p) - before;
  }
  return work;
}

void Exchange::send_some(size_t p) {
  for (size_t sends = 0; sends < options_.max_sends_per_frame && next_message_[p] < target_per_peer_; ++sends) {
    if (ledger_.sent_by(p) - ledger_.resolved_by(p) >= options_.max_unresolved) return;
    if (ledger_.in_transit_from(p) >= options_.max_in_transit) return;
    const uint64_t message = next_message_[p];
    const size_t channel = message % options_.channels;
    const uint32_t seq = static_cast<uint32_t>(message / options_.channels + 1);
    const size_t pad = static_cast<size_t>(rng_.next_in(0, static_cast<int64_t>(options_.max_pad_bytes)));
    const int32_t result = peers_[p]->send(channel, seq, pad, ledger_, step_);
    if (result == TETHER_ERROR_QUEUE_FULL) return;  // a connection is backed up: next frame
    if (result != TETHER_OK) {
      ++send_errors_;
      last_send_error_ = std::string(tether_result_string(result)) + ": " + peers_[p]->last_send_error();
      return;
    }
    ++next_message_[p];
  }
}

bool Exchange::run_until(const std::function<bool()>& done, int64_t timeout_ms,
                         const std::function<void()>& each_frame) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline || send_errors_ > 0) return false;
    const size_t work = frame();
    if (each_frame) each_frame();
    if (work == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void Exchange::send_fence() {
  // Targets are whole rounds: this is one message on each channel, with
  // the highest sequence there.
  target_per_peer_ += options_.channels;
}

bool Exchange::last_round_delivered() const {
  const uint32_t last_seq = static_cast<uint32_t>(target_per_peer_ / options_.channels);
  for (size_t p = 0; p < peers_.size(); ++p) {
    for (size_t channel = 0; channel < options_.channels; ++channel) {
      if (ledger_.record(p, channel, last_seq).deliveries == 0) return false;
    }
  }
  return true;
}

bool Exchange::all_sent() const {
  for (uint64_t next : next_message_) {
    if (next < target_per_peer_) return false;
  }
  return true;
}

}  // namespace tether::chaos
