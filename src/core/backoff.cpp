#include "core/backoff.h"

#include <algorithm>
#include <cmath>

namespace tether::core {

const char* validate(const BackoffConfig& c) {
  if (c.initial_delay_ms <= 0) return "backoff initial delay must be > 0";
  if (c.max_delay_ms < c.initial_delay_ms) return "backoff max delay must be >= initial delay";
  if (!(c.decay >= 1.0) || !std::isfinite(c.decay)) return "backoff decay must be a finite number >= 1";
  if (c.stable_after_ms < 0) return "backoff stable time must be >= 0";
  return nullptr;
}

ReconnectBackoff::ReconnectBackoff(const BackoffConfig& config, uint64_t seed)
    : config_(config), rng_(seed) {}

TimeMs ReconnectBackoff::base_delay(uint32_t attempt) const {
  // Computed in floating point so large attempt counts saturate at the cap
  // instead of overflowing.
  const double grown = static_cast<double>(config_.initial_delay_ms) * std::pow(config_.decay, attempt);
  const double capped = std::min(grown, static_cast<double>(config_.max_delay_ms));
  return static_cast<TimeMs>(capped);
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
      const TimeMs upper = std::max(config_.initial_delay_ms, previous_delay_ * 3);
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
