#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace tether::core {

const char* validate(const BackoffConfig& c) {
  if (c.initial_delay_ms <= 0) return "backoff initial delay must be > 0";
  if (c.max_delay_ms < c.initial_delay_ms) return "backoff max delay must be >= initial delay";
  if (c.max_delay_ms > kMaxDurationMs) return "backoff max delay must be <= 604800000 ms (7 days)";
  if (!(c.decay >= 1.0) || !std::isfinite(c.decay)) return "backoff decay must be a finite number >= 1";
  if (c.decay > kMaxBackoffDecay) return "backoff decay must be <= 100";
  if (c.stable_after_ms < 0) return "backoff stable time must be >= 0";
  if (c.stable_after_ms > kMaxDurationMs) return "backoff stable time must be <= 604800000 ms (7 days)";
  return nullptr;
}

ReconnectBackoff::ReconnectBackoff(const BackoffConfig& config, uint64_t seed)
    : config_(config), rng_(seed) {}

TimeMs ReconnectBackoff::base_delay(uint32_t attempt) const {
  // Computed in floating point so large attempt counts saturate at the cap
  // instead of overflowing.
  const double grown = static_cast<double>(config_.initial_delay_ms) * std::pow(config_.decay, attempt);
  // NaN (a decay validate() would refuse) caps too; the cast is then in range.
  const double cap = static_cast<double>(std::min(config_.max_delay_ms, kMaxDurationMs));
  const double capped = grown < cap ? grown : cap;
  return static_cast<TimeMs>(std::max(capped, 0.0));
}

std::optional<TimeMs> ReconnectBackoff::next_delay() {
  if (config_.max_attempts != 0 && attempts_ >= config_.max_attempts) return std::nullopt;
  const TimeMs base = base_delay(attempts_);
  TimeMs delay = base;
  switch (config_.jitter) {
    case JitterMode::None:
      break;
    case JitterMode::Full:
      delay = rng_.next_in(0, base);
      break;
    case JitterMode::Decorrelated: {
      // previous_delay_ <= max_delay_ms, but saturate in case validate() was skipped.
      const TimeMs tripled = previous_delay_ > kNever / 3 ? kNever : previous_delay_ * 3;
      const TimeMs upper = std::max(config_.initial_delay_ms, tripled);
      delay = std::min(config_.max_delay_ms, rng_.next_in(config_.initial_delay_ms, upper));
      break;
    }
  }
  ++attempts_;
  previous_delay_ = delay;
  return delay;
}

void ReconnectBackoff::reset() {
  attempts_ = 0;
  previous_delay_ = 0;
}

void ReconnectBackoff::handle_timeout(TimeMs now) {
  if (now >= stable_deadline_) {
    stable_deadline_ = kNever;
    reset();
  }
}

}  // namespace tether::core
