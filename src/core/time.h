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

}  // namespace tether::core
