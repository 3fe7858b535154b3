#pragma once
// The event loop every transport object runs on: one thread drives all I/O,
// timers and callbacks, so the code above never needs locks.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace tether::transport {

namespace detail {
struct EventLoopAccess;
}

using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

class EventLoop {
 public:
  EventLoop();
  // Destroy every WsClient and WsServer bound to this loop first.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs handlers on the calling thread until stop(). Returns at once if stop()
  // came first; after returning it can be called again. Not from inside a
  // handler. A handler that throws is a bug in that handler: the exception is
  // swallowed and the loop goes on.
  void run() noexcept;

  // Runs handlers until `done()` holds (checked after each handler), stop() is
  // called, or `timeout_ms` passes. Returns done(). Not from inside a handler.
  bool run_until(const std::function<bool()>& done, int64_t timeout_ms) noexcept;

  // Runs the handlers that are ready now (completed I/O, expired timers,
  // posted tasks) on the calling thread without waiting, for a host that
  // drives the loop from its own frame loop instead of a thread. Returns how
  // many ran. Not from inside a handler.
  size_t poll() noexcept;
  // Makes the current (or next) run()/run_until() return. Called from a
  // handler, no other handler runs after that one, on every platform: the
  // engine drops its WsClient and stops in one task, and a timer already due
  // must not run after it. Thread safety: any thread.
  void stop() noexcept;

  // Queues `task` to run on the loop thread. Thread safety: any thread.
  // Returns false only if the task could not be queued (out of memory).
  bool post(std::function<void()> task) noexcept;

  // One-shot timer: `on_expiry` runs on the loop thread after `delay_ms`
  // (<= 0: as soon as possible). Returns kNoTimer only when out of memory.
  // Thread safety: loop thread only, like everything bound to the loop.
  TimerId set_timer(int64_t delay_ms, std::function<void()> on_expiry) noexcept;

  // Returns true if the timer was pending; its callback will not run.
  bool cancel_timer(TimerId id) noexcept;

  // Milliseconds on a monotonic clock (steady_clock); only differences matter.
  // Thread safety: any thread.
  int64_t now_ms() const noexcept;

 private:
  friend struct detail::EventLoopAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tether::transport
