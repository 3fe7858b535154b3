#pragma once
// A small seeded PRNG (SplitMix64). std:: distributions are
// implementation-defined, so a fixed generator keeps jitter and tests
// reproducible on every platform and standard library.
#include <cstdint>

namespace tether::core {

class SeededRng {
 public:
  explicit SeededRng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1).
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [lo, hi] (inclusive); lo <= hi.
  int64_t next_in(int64_t lo, int64_t hi) {
    const uint64_t span = static_cast<uint64_t>(hi - lo) + 1;
    return span == 0 ? static_cast<int64_t>(next_u64()) : lo + static_cast<int64_t>(next_u64() % span);
  }

 private:
  uint64_t state_;
};

}  // namespace tether::core
