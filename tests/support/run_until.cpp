#include "run_until.h"

namespace tether::test_support {

namespace {
constexpr int64_t kTickMs = 5;
}  // namespace

bool run_until(transport::EventLoop& loop, const std::function<bool()>& done, int64_t timeout_ms) {
  if (done()) return true;
  transport::TimerId ticker = transport::kNoTimer;
  std::function<void()> tick = [&] { ticker = loop.set_timer(kTickMs, tick); };
  ticker = loop.set_timer(kTickMs, tick);
  const bool result = loop.run_until(done, timeout_ms);
  loop.cancel_timer(ticker);
  return result;
}

void run_for(transport::EventLoop& loop, int64_t duration_ms) {
  const int64_t end = loop.now_ms() + duration_ms;
  run_until(loop, [&] { return loop.now_ms() >= end; }, duration_ms + 1000);
}

}  // namespace tether::test_support
