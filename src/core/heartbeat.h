#pragma once
// Liveness: a ping every interval; a missing pong within the timeout means the
// link is dead. Pongs also feed a TCP-style smoothed RTT (RFC 6298).
#include <cstdint>

#include "core/time.h"

namespace tether::core {

// Durations are at most kMaxDurationMs (7 days).
struct HeartbeatConfig {
  TimeMs interval_ms = 15000;
  TimeMs timeout_ms = 5000;  // must be < interval_ms, so at most one ping is outstanding
};

const char* validate(const HeartbeatConfig& config);

// A round trip measured as 0 ms (under the clock's 1 ms resolution) counts as this.
constexpr double kSubResolutionRttMs = 0.5;

class RttEstimator {
 public:
  void add_sample(TimeMs rtt);
  bool has_sample() const { return samples_ > 0; }
  double smoothed_ms() const { return srtt_; }
  double variance_ms() const { return rttvar_; }
  TimeMs last_ms() const { return last_; }
  uint64_t samples() const { return samples_; }

 private:
  double srtt_ = 0;
  double rttvar_ = 0;
  TimeMs last_ = 0;
  uint64_t samples_ = 0;
};

class Heartbeat {
 public:
  enum class Action : uint8_t { None, SendPing, LinkDead };

  explicit Heartbeat(const HeartbeatConfig& config) : config_(config) {}

  // A new connection is usable: the first ping goes out one interval from now.
  void start(TimeMs now);
  // The connection is gone: every timer of this connection is forgotten, so
  // nothing from it can fire after a reconnect.
  void stop();
  bool running() const { return next_ping_ != kNever || pong_deadline_ != kNever; }

  TimeMs next_timeout() const;
  // SendPing sets *ping_timestamp to the value to put in the ping.
  Action handle_timeout(TimeMs now, int64_t* ping_timestamp);
  // A link check now (the host suspects the link, e.g. after the app was
  // suspended): returns true and sets *ping_timestamp if a ping should go out
  // at once; false if one is already outstanding or the heartbeat is stopped.
  // No pong within the timeout then means LinkDead, as for any ping.
  bool probe(TimeMs now, int64_t* ping_timestamp);
  bool ping_outstanding() const { return outstanding_ping_ != 0; }
  // Returns true when the pong answers the outstanding ping (and records RTT);
  // stale or unsolicited pongs are ignored.
  bool handle_pong(int64_t echoed_timestamp, TimeMs now);

  const RttEstimator& rtt() const { return rtt_; }

 private:
  void send_ping(TimeMs now, int64_t* ping_timestamp);

  HeartbeatConfig config_;
  RttEstimator rtt_;
  TimeMs next_ping_ = kNever;
  TimeMs pong_deadline_ = kNever;
  int64_t outstanding_ping_ = 0;  // timestamp of the unanswered ping, 0 = none
};

}  // namespace tether::core
