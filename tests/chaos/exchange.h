#pragma once
// Reliable traffic between chaos peers, driven the way a game drives Tether:
// one host thread, one pump per peer per frame, sends in between. Each peer
// sends `messages_per_peer` messages (rounded up to whole rounds) in turn
// over its channels, within
// two windows: unresolved sends (so the client's queues never fill) and
// messages still on their way to the other peer (so the server never holds
// more for a receiver than its session bounds allow).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "chaos_peer.h"
#include "core/rng.h"
#include "delivery_ledger.h"

namespace tether::chaos {

struct ExchangeOptions {
  uint64_t messages_per_peer = 1000;
  size_t channels = 8;
  size_t max_unresolved = 2048;   // per peer
  size_t max_in_transit = 8192;   // per peer
  size_t max_sends_per_frame = 512;
  size_t max_pad_bytes = 48;      // payload sizes vary from 5 to about 60 bytes
  uint64_t seed = 1;
};

class Exchange {
 public:
  Exchange(const ExchangeOptions& options, std::vector<ChaosPeer*> peers);

  // The capacity a ledger needs: every message, plus one fence per channel.
  static uint32_t sequences_per_channel(const ExchangeOptions& options);

  // Sends nothing until this is called (the peers subscribe first).
  void start_sending() { sending_ = true; }
  // Lifts the in-transit window: after a crash that lost messages for good,
  // they would hold it shut forever.
  void stop_counting_in_transit() { options_.max_in_transit = SIZE_MAX; }

  // One host frame: pump every peer, then send what the windows allow.
  // Returns how many events and sends it handled.
  size_t frame();
  // Frames until `done()` holds or `timeout_ms` passes; an idle frame waits
  // a millisecond, as a game's frame would (the C API has no blocking wait).
  // `each_frame` runs after every frame: fault injection, restarts.
  bool run_until(const std::function<bool()>& done, int64_t timeout_ms,
                 const std::function<void()>& each_frame = {});

  // One more message per channel per peer, behind everything else: once it
  // arrives, nothing sent before it on that channel can still be in flight
  // on its connection (a late duplicate would show up first).
  void send_fence();

  bool all_sent() const;
  bool all_resolved() const { return ledger_.resolved() == ledger_.sent(); }
  // The last message on every channel (the fence, once sent) was delivered.
  bool last_round_delivered() const;
  bool complete() const { return all_sent() && ledger_.complete(); }
  uint64_t sent() const { return ledger_.sent(); }
  uint64_t step() const { return step_; }
  DeliveryLedger& ledger() { return ledger_; }
  const DeliveryLedger& ledger() const { return ledger_; }
  // Results other than OK and QUEUE_FULL (which is retried); should stay 0.
  uint64_t send_errors() const { return send_errors_; }
  const std::string& last_send_error() const { return last_send_error_; }

 private:
  void send_some(size_t peer);

  ExchangeOptions options_;
  std::vector<ChaosPeer*> peers_;
  DeliveryLedger ledger_;
  std::vector<uint64_t> next_message_;  // per peer: index of its next message
  uint64_t target_per_peer_;
  bool sending_ = false;
  uint64_t step_ = 0;
  uint64_t send_errors_ = 0;
  std::string last_send_error_;
  core::SeededRng rng_;
};

}  // namespace tether::chaos
