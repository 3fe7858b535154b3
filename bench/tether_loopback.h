#pragma once
// The Tether side of the bench: an in-process tether::server::Server on its
// own EventLoop thread, and a client Engine driven from the calling (host)
// thread through send() and pump(), as a game would drive it.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "client/engine.h"
#include "measurement.h"
#include "transport/event_loop.h"

namespace tether::bench {

class TetherServerThread {
 public:
  TetherServerThread() = default;
  ~TetherServerThread();  // stops the loop; the Server is destroyed on its thread
  TetherServerThread(const TetherServerThread&) = delete;
  TetherServerThread& operator=(const TetherServerThread&) = delete;

  // Starts a Server on 127.0.0.1 with an ephemeral port, accepting HS256
  // tokens signed with `jwt_secret`.
  bool start(const std::string& jwt_secret, std::string* error);
  uint16_t port() const { return port_; }

 private:
  transport::EventLoop loop_;
  std::thread thread_;
  uint16_t port_ = 0;
};

// Heap allocations the host thread made inside pump() while acks flowed.
// Empty pumps (the host polling faster than acks arrive) are not counted as
// pumps but their allocations are, so per_pump() errs high, never low.
struct PumpAllocations {
  uint64_t allocations = 0;
  uint64_t pumps = 0;  // calls that returned at least one event
  double per_pump() const { return pumps > 0 ? static_cast<double>(allocations) / static_cast<double>(pumps) : 0; }
};

// Acked events reach the host in send order: one host thread sends (so
// message ids rise in send order) over one session, whose cumulative acks
// resolve in sequence order. So the highest acked id says everything, and an
// event that pump() shows twice or never shows cannot skew the counts; both
// are counted, as they mean the engine's event handoff misbehaved.
class AckTracker {
 public:
  void on_sent(uint64_t message_id) { last_sent_ = message_id; }
  // Returns how many sends this event resolves (0 for a repeat).
  uint64_t on_acked(uint64_t message_id);
  // Resolves everything sent: the engine says nothing is pending, but some
  // Acked events never appeared.
  void settle_missed() {
    missed_ += outstanding();
    last_acked_ = last_sent_;
  }

  uint64_t outstanding() const { return last_sent_ - last_acked_; }
  uint64_t last_acked() const { return last_acked_; }
  uint64_t repeated_events() const { return repeated_; }
  uint64_t missed_events() const { return missed_; }

 private:
  uint64_t last_sent_ = 0;
  uint64_t last_acked_ = 0;
  uint64_t repeated_ = 0;
  uint64_t missed_ = 0;
};

class TetherDriver {
 public:
  // Connects an Engine to ws://127.0.0.1:port and waits until it is Ready.
  bool connect(uint16_t port, const std::string& token, std::string* error);

  // Keeps `window` reliable sends unacked, counting Acked events from pump().
  bool run_throughput(const std::string& payload, uint32_t window, const PhaseLimits& limits,
                      ThroughputResult* result, PumpAllocations* allocations, std::string* error);
  // One reliable send at a time; each sample (send -> its Acked event) is appended.
  bool run_pings(const std::string& payload, const PhaseLimits& limits, RttSamples* samples,
                 std::string* error);

  const AckTracker& acks() const { return acks_; }

 private:
  bool send(const std::string& payload, std::string* error);
  // Handles one pump()'s events; false (and *error) if a send failed.
  bool take_events(size_t count, std::string* error);
  // When acks stop arriving: if the engine has nothing pending, takes the
  // last events and counts what it resolved without an Acked event reaching
  // the host (Settled); Busy if it still waits for acks.
  enum class Settle { Busy, Settled, Failed };
  Settle settle_if_engine_idle(std::string* error);

  std::unique_ptr<client::Engine> engine_;
  AckTracker acks_;
};

// An HS256 token for the bench user, allowed to publish and subscribe anywhere.
std::string mint_bench_token(const std::string& jwt_secret);

}  // namespace tether::bench
