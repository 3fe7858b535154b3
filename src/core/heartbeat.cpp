#include "core/heartbeat.h"

#include <algorithm>
#include <cmath>

namespace tether::core {

const char* validate(const HeartbeatConfig& c) {
  if (c.interval_ms <= 0) return "heartbeat interval must be > 0";
  if (c.timeout_ms <= 0) return "heartbeat timeout must be > 0";
  if (c.timeout_ms >= c.interval_ms) return "heartbeat timeout must be < heartbeat interval";
  if (c.interval_ms > kMaxDurationMs) return "heartbeat interval must be <= 604800000 ms (7 days)";
  return nullptr;
}

void RttEstimator::add_sample(TimeMs rtt) {
  // Time is counted in whole ms, so 0 means "under 1 ms" (loopback, a LAN),
  // not "no time at all": such a sample counts as half the resolution. A
  // smoothed RTT of 0 would read as "not measured yet" to the host.
  const double r = rtt > 0 ? static_cast<double>(rtt) : kSubResolutionRttMs;
  last_ = rtt;
  if (samples_ == 0) {
    srtt_ = r;
    rttvar_ = r / 2;
  } else {
    // RFC 6298: beta = 1/4, alpha = 1/8; variance first, using the old SRTT.
    rttvar_ = 0.75 * rttvar_ + 0.25 * std::fabs(srtt_ - r);
    srtt_ = 0.875 * srtt_ + 0.125 * r;
  }
  ++samples_;
}

void Heartbeat::start(TimeMs now) {
  next_ping_ = add_saturating(now, config_.interval_ms);
  pong_deadline_ = kNever;
  outstanding_ping_ = 0;
}

void Heartbeat::stop() {
  next_ping_ = kNever;
  pong_deadline_ = kNever;
  outstanding_ping_ = 0;
}

TimeMs Heartbeat::next_timeout() const { return std::min(next_ping_, pong_deadline_); }

Heartbeat::Action Heartbeat::handle_timeout(TimeMs now, int64_t* ping_timestamp) {
  if (now >= pong_deadline_) {
    stop();
    return Action::LinkDead;
  }
  if (now >= next_ping_) {
    send_ping(now, ping_timestamp);
    return Action::SendPing;
  }
  return Action::None;
}

bool Heartbeat::probe(TimeMs now, int64_t* ping_timestamp) {
  if (!running() || outstanding_ping_ != 0) return false;
  send_ping(now, ping_timestamp);
  return true;
}

void Heartbeat::send_ping(TimeMs now, int64_t* ping_timestamp) {
  // Timestamps are never 0 on the wire (0 means "absent").
  outstanding_ping_ = std::max<int64_t>(now, 1);
  *ping_timestamp = outstanding_ping_;
  pong_deadline_ = add_saturating(now, config_.timeout_ms);
  next_ping_ = add_saturating(now, config_.interval_ms);
}

bool Heartbeat::handle_pong(int64_t echoed_timestamp, TimeMs now) {
  if (outstanding_ping_ == 0 || echoed_timestamp != outstanding_ping_) return false;
  rtt_.add_sample(sub_saturating(now, outstanding_ping_));
  outstanding_ping_ = 0;
  pong_deadline_ = kNever;
  return true;
}

}  // namespace tether::core
