#pragma once
// Spreads a number of faults evenly over a run's progress (messages sent),
// each of a randomly drawn kind on a randomly drawn healthy link, so that
// however fast or slow the machine is, every fault lands while traffic
// flows. Latency and throttling are temporary: they are lifted after a
// second or so. Seeded: the same seed draws the same kinds and targets
// (the links themselves depend on timing).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "fault_proxy.h"

namespace tether::chaos {

class FaultSchedule {
 public:
  FaultSchedule(FaultProxy& proxy, uint64_t progress_total, size_t faults, uint64_t seed);

  // Call once per frame with the progress so far: injects the faults whose
  // turn has come and lifts degradations whose time is up.
  void tick(uint64_t progress);
  // Lifts every degradation still in force (the run is over).
  void stop();

  size_t injected() const { return injected_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Degradation {
    LinkId link;
    Clock::time_point until;
  };

  bool inject_one();
  std::chrono::milliseconds random_ms(int64_t low, int64_t high);

  FaultProxy& proxy_;
  uint64_t progress_total_;
  size_t planned_;
  size_t injected_ = 0;
  core::SeededRng rng_;
  std::vector<Degradation> degraded_;
};

}  // namespace tether::chaos
