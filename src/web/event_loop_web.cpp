// transport::EventLoop for the browser build (transport/event_loop.h).
//
// There are no threads in the browser, and its own event loop owns the
// thread: nothing here blocks. Handlers run either from pump() (poll(), as
// for any IoMode::Pump client) or from one browser timeout that this loop
// keeps armed at its earliest deadline, so heartbeats, acks and reconnects
// go on while a page (or a hidden tab, at the browser's reduced timer rate)
// does not pump. WebSocket callbacks reach the code above directly
// (ws_client_web.cpp); they never run inside a handler, because JavaScript
// never interrupts running WebAssembly.
#include "transport/event_loop.h"

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>

#include <cmath>
#include <deque>
#include <map>
#include <utility>

namespace tether::transport {

struct EventLoop::Impl {
  struct Timer {
    int64_t due = 0;
    std::function<void()> on_expiry;
  };

  std::deque<std::function<void()>> tasks;
  std::map<TimerId, Timer> timers;  // a pool's few timers: scanning them is cheap
  TimerId next_timer = 1;
  long browser_timeout = 0;  // emscripten_set_timeout id, 0 = none
  int64_t browser_timeout_at = 0;
  bool running = false;  // inside run_ready(): arm() waits until it ends

  ~Impl() {
    if (browser_timeout != 0) emscripten_clear_timeout(browser_timeout);
  }

  static int64_t now() { return static_cast<int64_t>(std::floor(emscripten_get_now())); }

  // Runs the tasks queued and the timers due when called; what they queue
  // waits for the next turn, as Asio's poll() would leave it.
  size_t run_ready() {
    running = true;
    size_t ran = 0;
    for (size_t queued = tasks.size(); queued > 0 && !tasks.empty(); --queued) {
      std::function<void()> task = std::move(tasks.front());
      tasks.pop_front();
      run(task);
      ++ran;
    }
    const int64_t at = now();
    const TimerId first_new = next_timer;  // timers set by these handlers wait too
    for (auto it = timers.begin(); it != timers.end() && it->first < first_new;) {
      if (it->second.due > at) {
        ++it;
        continue;
      }
      const TimerId id = it->first;
      std::function<void()> on_expiry = std::move(it->second.on_expiry);
      timers.erase(it);
      run(on_expiry);
      ++ran;
      it = timers.upper_bound(id);  // the handler may have cancelled others; ids ascend
    }
    running = false;
    arm();
    return ran;
  }

  static void run(std::function<void()>& handler) {
    try {
      handler();
    } catch (...) {
      // A bug in that handler (event_loop.h): swallowed, the loop goes on.
    }
  }

  // Keeps one browser timeout at the earliest thing to do.
  void arm() {
    if (running) return;
    int64_t next = -1;
    if (!tasks.empty()) next = now();
    for (const auto& [id, timer] : timers) {
      if (next < 0 || timer.due < next) next = timer.due;
    }
    if (browser_timeout != 0 && next >= 0 && browser_timeout_at <= next) return;
    if (browser_timeout != 0) emscripten_clear_timeout(browser_timeout);
    browser_timeout = 0;
    if (next < 0) return;
    browser_timeout_at = next;
    const int64_t delay = next - now();
    browser_timeout = emscripten_set_timeout(&on_browser_timeout, static_cast<double>(delay > 0 ? delay : 0), this);
  }

  static void on_browser_timeout(void* user_data) {
    Impl* impl = static_cast<Impl*>(user_data);
    impl->browser_timeout = 0;
    impl->run_ready();
  }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}
EventLoop::~EventLoop() = default;

// There is no blocking in the browser: run() and run_until() cannot wait,
// so they run what is ready, as poll() does.
void EventLoop::run() noexcept { impl_->run_ready(); }

bool EventLoop::run_until(const std::function<bool()>& done, int64_t) noexcept {
  impl_->run_ready();
  try {
    return done();
  } catch (...) {
    return false;
  }
}

size_t EventLoop::poll() noexcept { return impl_->run_ready(); }

void EventLoop::stop() noexcept {}

bool EventLoop::post(std::function<void()> task) noexcept {
  try {
    impl_->tasks.push_back(std::move(task));
  } catch (...) {
    return false;
  }
  impl_->arm();
  return true;
}

TimerId EventLoop::set_timer(int64_t delay_ms, std::function<void()> on_expiry) noexcept {
  try {
    const TimerId id = impl_->next_timer++;
    impl_->timers.emplace(id, Impl::Timer{Impl::now() + (delay_ms > 0 ? delay_ms : 0), std::move(on_expiry)});
    impl_->arm();
    return id;
  } catch (...) {
    return kNoTimer;
  }
}

bool EventLoop::cancel_timer(TimerId id) noexcept { return impl_->timers.erase(id) > 0; }

int64_t EventLoop::now_ms() const noexcept { return Impl::now(); }

}  // namespace tether::transport
