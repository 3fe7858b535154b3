#pragma once
// Waiting on conditions, never on fixed sleeps: run an EventLoop until a
// predicate holds or a generous deadline passes.
#include <cstdint>
#include <functional>

#include "transport/event_loop.h"

namespace tether::test_support {

// Generous: slow CI machines pass long before it; only failures wait this long.
constexpr int64_t kDeadlineMs = 10000;

// Runs `loop` until `done()` holds or `timeout_ms` passes; returns done().
// A short ticking timer keeps the loop waking up, so conditions that change
// outside it (a child process, another thread) are noticed too.
bool run_until(transport::EventLoop& loop, const std::function<bool()>& done, int64_t timeout_ms = kDeadlineMs);

// Runs `loop` for `duration_ms`, e.g. to check that something does NOT happen.
// Prefer a positive condition; use this only after a marker proved delivery.
void run_for(transport::EventLoop& loop, int64_t duration_ms);

}  // namespace tether::test_support
