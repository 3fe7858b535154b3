#pragma once
// What one bench phase is allowed to do, and what it measured. Shared by the
// websocketpp baseline and the Tether side so both report the same figures.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace tether::bench {

using Clock = std::chrono::steady_clock;

// Every phase stops at whichever limit comes first.
struct PhaseLimits {
  uint64_t max_messages = 0;
  std::chrono::milliseconds max_duration{0};
};

// After a phase stops, the messages still in flight must come back within
// this long before the next phase starts, or the run is declared broken.
inline constexpr std::chrono::seconds kDrainTimeout{5};

struct ThroughputResult {
  uint64_t messages = 0;  // acknowledged (or echoed) before the phase stopped
  double seconds = 0;
  // CPU time of the whole process (clients and servers alike) during the
  // phase: whether a rate is bound by work or by waiting.
  double cpu_seconds = 0;
  double per_second() const { return seconds > 0 ? static_cast<double>(messages) / seconds : 0; }
  double cpu_microseconds_per_message() const {
    return messages > 0 ? cpu_seconds * 1e6 / static_cast<double>(messages) : 0;
  }
  void add(const ThroughputResult& other) {
    messages += other.messages;
    seconds += other.seconds;
    cpu_seconds += other.cpu_seconds;
  }
};

struct RttSamples {
  std::vector<double> microseconds;

  // Nearest-rank percentile, `fraction` in (0, 1]; 0 when there are no samples.
  double percentile(double fraction) const {
    if (microseconds.empty()) return 0;
    std::vector<double> sorted = microseconds;
    std::sort(sorted.begin(), sorted.end());
    const double rank = fraction * static_cast<double>(sorted.size());
    size_t index = static_cast<size_t>(rank);
    if (static_cast<double>(index) == rank && index > 0) --index;  // an exact rank is that sample
    return sorted[std::min(index, sorted.size() - 1)];
  }
};

// Process CPU time, every thread's, in seconds.
inline double process_cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

inline double microseconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

// A JSON string of exactly `bytes` bytes (quotes included), the payload both
// sides send so that they move the same application bytes.
inline std::string json_payload(size_t bytes) {
  return "\"" + std::string(bytes > 2 ? bytes - 2 : 0, 'x') + "\"";
}

}  // namespace tether::bench
