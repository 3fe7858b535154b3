#include "fault_schedule.h"

#include <algorithm>

namespace tether::chaos {

namespace {

// Out of 100: the hard faults first, the degradations after.
constexpr int64_t kResetWeight = 25;
constexpr int64_t kFinWeight = 20;
constexpr int64_t kBlackholeWeight = 20;
constexpr int64_t kSegmentsWeight = 15;
constexpr int64_t kLatencyWeight = 10;
// The rest (10): throttling.

}  // namespace

FaultSchedule::FaultSchedule(FaultProxy& proxy, uint64_t progress_total, size_t faults, uint64_t seed)
    : proxy_(proxy), progress_total_(progress_total), planned_(faults), rng_(seed) {}

void FaultSchedule::tick(uint64_t progress) {
  const Clock::time_point now = Clock::now();
  for (auto it = degraded_.begin(); it != degraded_.end();) {
    if (it->until > now) {
      ++it;
      continue;
    }
    proxy_.heal(it->link);
    it = degraded_.erase(it);
  }
  // Fault k (1-based) is due once progress passes k / (planned + 1) of the
  // total. A fault that found no link to hit is tried again next frame.
  while (injected_ < planned_ && progress * (planned_ + 1) >= (injected_ + 1) * progress_total_) {
    if (!inject_one()) return;
  }
}

void FaultSchedule::stop() {
  for (const Degradation& d : degraded_) proxy_.heal(d.link);
  degraded_.clear();
}

std::chrono::milliseconds FaultSchedule::random_ms(int64_t low, int64_t high) {
  return std::chrono::milliseconds(rng_.next_in(low, high));
}

bool FaultSchedule::inject_one() {
  const std::vector<LinkId> links = proxy_.healthy_links();
  if (links.empty()) return false;
  const LinkId link = links[static_cast<size_t>(rng_.next_in(0, static_cast<int64_t>(links.size()) - 1))];
  int64_t draw = rng_.next_in(0, 99);
  size_t hit = 0;
  if ((draw -= kResetWeight) < 0) {
    hit = proxy_.reset(link);
  } else if ((draw -= kFinWeight) < 0) {
    hit = proxy_.close_with_fin(link);
  } else if ((draw -= kBlackholeWeight) < 0) {
    static constexpr Direction kDirections[] = {Direction::Both, Direction::ToServer, Direction::ToClient};
    hit = proxy_.blackhole(link, kDirections[rng_.next_in(0, 2)]);
  } else if ((draw -= kSegmentsWeight) < 0) {
    hit = proxy_.split_segments(link, static_cast<size_t>(rng_.next_in(2048, 16384)));
  } else if ((draw -= kLatencyWeight) < 0) {
    hit = proxy_.set_latency(link, rng_.next_in(10, 80));
    if (hit > 0) degraded_.push_back({link, Clock::now() + random_ms(300, 1500)});
  } else {
    hit = proxy_.set_throttle(link, static_cast<uint64_t>(rng_.next_in(32, 256)) * 1024);
    if (hit > 0) degraded_.push_back({link, Clock::now() + random_ms(300, 1500)});
  }
  if (hit > 0) ++injected_;
  return hit > 0;
}

}  // namespace tether::chaos
