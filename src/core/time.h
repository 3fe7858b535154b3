#pragma once
// Core time base. The core never reads a clock: every input carries `now`.
#include <cstdint>
#include <limits>

namespace tether::core {

// Milliseconds on a monotonic clock chosen by the runtime (steady_clock in
// production, a virtual clock in tests). Only differences matter.
using TimeMs = int64_t;

// "No deadline": larger than any real time, so min() over deadlines works.
constexpr TimeMs kNever = std::numeric_limits<TimeMs>::max();

// The longest timeout, delay or lead time any config accepts: 7 days. Far
// beyond any sensible setting, and small enough that sums of a few of them
// stay far from overflow.
constexpr TimeMs kMaxDurationMs = 604'800'000;

// a + b, clamped to the int64 range instead of overflowing. Deadlines are
// computed with this, so a config or a peer's timestamp near the limits
// yields "never" (or the distant past), not a deadline that wrapped around.
constexpr int64_t add_saturating(int64_t a, int64_t b) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (b > 0 && a > kMax - b) return kMax;
  if (b < 0 && a < kMin - b) return kMin;
  return a + b;
}

// a - b, clamped like add_saturating.
constexpr int64_t sub_saturating(int64_t a, int64_t b) {
  if (b == std::numeric_limits<int64_t>::min()) {
    return a >= 0 ? std::numeric_limits<int64_t>::max() : a - b;  // a - INT64_MIN fits when a < 0
  }
  return add_saturating(a, -b);
}

}  // namespace tether::core
