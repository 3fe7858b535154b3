#include "transport/event_loop.h"

#include "transport/detail/asio_setup.h"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <new>
#include <unordered_map>
#include <vector>

#include "transport/detail/event_loop_access.h"

namespace tether::transport {

namespace {

constexpr auto kReapInterval = std::chrono::milliseconds(10);

struct Retired {
  std::shared_ptr<void> owner;
  std::function<bool()> is_idle;
};

struct Timer {
  explicit Timer(asio::io_context& io, std::function<void()> callback)
      : timer(io), on_expiry(std::move(callback)) {}
  asio::steady_timer timer;
  std::function<void()> on_expiry;
};

}  // namespace

// Declaration order is destruction order reversed: timers and retired objects
// hold Asio I/O objects, so they must go before the io_context.
struct EventLoop::Impl {
  asio::io_context io{1};  // hint: a single thread runs it
  asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
  std::atomic<bool> stop_requested{false};

  std::vector<Retired> retired;
  asio::steady_timer reaper{io};
  bool reaper_armed = false;

  std::unordered_map<TimerId, std::unique_ptr<Timer>> timers;
  TimerId next_timer = 1;

  void arm_reaper() {
    if (reaper_armed || retired.empty()) return;
    reaper_armed = true;
    reaper.expires_after(kReapInterval);
    reaper.async_wait([this](const asio::error_code& ec) {
      reaper_armed = false;
      if (ec) return;
      // Move the idle ones out first: destroying them must not disturb the vector.
      std::vector<Retired> idle;
      for (auto it = retired.begin(); it != retired.end();) {
        if (it->is_idle()) {
          idle.push_back(std::move(*it));
          it = retired.erase(it);
        } else {
          ++it;
        }
      }
      idle.clear();
      arm_reaper();
    });
  }
};

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() = default;

void EventLoop::run() noexcept {
  asio::io_context& io = impl_->io;
  io.restart();
  // Checked after restart() so a stop() racing with this call is never lost.
  if (impl_->stop_requested.exchange(false)) return;
  // One handler at a time, checking stop() after each: Asio's io_context
  // stop() differs by platform. The reactor (epoll, kqueue) runs nothing
  // after it, but Windows' IOCP still runs the completions queued ahead of
  // its stop packet (due timers, posted tasks), which found the engine's
  // WsClient already gone (seen under Wine: a crash in destroy).
  while (!impl_->stop_requested.load()) {
    try {
      io.run_one();
    } catch (...) {
      // A handler threw; the io_context stays usable, so keep serving.
    }
  }
  impl_->stop_requested.store(false);
}

bool EventLoop::run_until(const std::function<bool()>& done, int64_t timeout_ms) noexcept {
  asio::io_context& io = impl_->io;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0));
  io.restart();
  for (;;) {
    try {
      if (done()) return true;
    } catch (...) {
      return false;
    }
    if (impl_->stop_requested.exchange(false)) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    try {
      io.run_one_until(deadline);
    } catch (...) {
      // As in run(): a throwing handler does not end the loop.
    }
  }
}

size_t EventLoop::poll() noexcept {
  asio::io_context& io = impl_->io;
  io.restart();
  size_t ran = 0;
  for (;;) {
    try {
      ran += io.poll();
      return ran;
    } catch (...) {
      ++ran;  // as in run(): a throwing handler does not end the loop
    }
  }
}

void EventLoop::stop() noexcept {
  impl_->stop_requested.store(true);
  impl_->io.stop();
}

bool EventLoop::post(std::function<void()> task) noexcept {
  if (!task) return false;
  try {
    asio::post(impl_->io, std::move(task));
    return true;
  } catch (...) {
    return false;
  }
}

TimerId EventLoop::set_timer(int64_t delay_ms, std::function<void()> on_expiry) noexcept {
  try {
    Impl* impl = impl_.get();
    const TimerId id = impl->next_timer++;
    auto timer = std::make_unique<Timer>(impl->io, std::move(on_expiry));
    timer->timer.expires_after(std::chrono::milliseconds(std::max<int64_t>(delay_ms, 0)));
    timer->timer.async_wait([impl, id](const asio::error_code& ec) {
      if (ec) return;
      auto it = impl->timers.find(id);
      if (it == impl->timers.end()) return;  // cancelled after it had already fired
      std::function<void()> callback = std::move(it->second->on_expiry);
      impl->timers.erase(it);
      if (callback) callback();
    });
    impl->timers.emplace(id, std::move(timer));
    return id;
  } catch (...) {
    return kNoTimer;
  }
}

bool EventLoop::cancel_timer(TimerId id) noexcept {
  return impl_->timers.erase(id) > 0;
}

int64_t EventLoop::now_ms() const noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

namespace detail {

asio::io_context& EventLoopAccess::io_context(EventLoop& loop) noexcept {
  return loop.impl_->io;
}

void EventLoopAccess::retire(EventLoop& loop, std::shared_ptr<void> owner,
                             std::function<bool()> is_idle) noexcept {
  // Never freed on the spot: the caller may be inside one of owner's handlers.
  Retired entry{std::move(owner), std::move(is_idle)};
  try {
    loop.impl_->retired.push_back(std::move(entry));
    loop.impl_->arm_reaper();
  } catch (...) {
    // Out of memory: leaking beats freeing what queued handlers point into.
    if (entry.owner) static_cast<void>(new (std::nothrow) std::shared_ptr<void>(std::move(entry.owner)));
  }
}

}  // namespace detail

}  // namespace tether::transport
