#pragma once
// Reconnect pacing: exponential backoff with a cap, seeded jitter, a maximum
// attempt count, and a reset only after a connection has proven stable.
#include <cstdint>
#include <optional>

#include "core/rng.h"
#include "core/time.h"

namespace tether::core {

enum class JitterMode : uint8_t {
  None,          // exactly min(max, initial * decay^attempt)
  Full,          // uniform in [0, that delay]: spreads a thundering herd the most
  Decorrelated,  // uniform in [initial, 3 * previous delay], capped (AWS "decorrelated jitter")
};

// The largest growth factor validate() accepts: larger ones reach the cap on
// the first retry anyway.
constexpr double kMaxBackoffDecay = 100.0;

// Durations are at most kMaxDurationMs (7 days).
struct BackoffConfig {
  TimeMs initial_delay_ms = 500;
  TimeMs max_delay_ms = 30000;
  double decay = 1.5;           // growth factor per failed attempt, >= 1
  JitterMode jitter = JitterMode::Full;
  uint32_t max_attempts = 10;   // consecutive failed attempts before giving up; 0 = never give up
  TimeMs stable_after_ms = 5000;  // uptime after which the attempt counter resets
};

// Returns nullptr if valid, else a static description of the first problem.
const char* validate(const BackoffConfig& config);

class ReconnectBackoff {
 public:
  ReconnectBackoff(const BackoffConfig& config, uint64_t seed);

  // A connection attempt failed or an established connection dropped.
  // Returns the wait before the next attempt, or nullopt once max_attempts
  // consecutive attempts have failed ("gave up").
  std::optional<TimeMs> next_delay();

  // The un-jittered delay for a given attempt index (0-based).
  TimeMs base_delay(uint32_t attempt) const;

  // Consecutive failures since the last reset.
  uint32_t attempts() const { return attempts_; }

  // The connection is up: start the stability timer.
  void on_connected(TimeMs now) { stable_deadline_ = add_saturating(now, config_.stable_after_ms); }
  // The connection went down before or after becoming stable.
  void on_disconnected() { stable_deadline_ = kNever; }
  // Forget past failures (stable connection, or an explicit host request).
  void reset();

  TimeMs next_timeout() const { return stable_deadline_; }
  void handle_timeout(TimeMs now);

 private:
  BackoffConfig config_;
  SeededRng rng_;
  uint32_t attempts_ = 0;
  TimeMs previous_delay_ = 0;
  TimeMs stable_deadline_ = kNever;
};

}  // namespace tether::core
