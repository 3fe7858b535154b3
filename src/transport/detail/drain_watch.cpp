#include "transport/detail/drain_watch.h"

#include <utility>

namespace tether::transport::detail {

DrainWatch::DrainWatch(asio::io_context& io, std::chrono::milliseconds interval,
                       std::function<bool(ConnectionId)> drained, std::function<void(ConnectionId)> on_drained)
    : timer_(io), interval_(interval), drained_(std::move(drained)), on_drained_(std::move(on_drained)) {}

void DrainWatch::watch(ConnectionId id) {
  blocked_.insert(id);
  arm();
}

void DrainWatch::forget(ConnectionId id) { blocked_.erase(id); }

void DrainWatch::clear() {
  blocked_.clear();
  timer_.cancel();
  armed_ = false;
}

void DrainWatch::arm() {
  if (armed_ || blocked_.empty()) return;
  armed_ = true;
  timer_.expires_after(interval_);
  timer_.async_wait([this, alive = std::weak_ptr<char>(alive_)](const asio::error_code& ec) {
    if (ec || alive.expired()) return;
    armed_ = false;
    check();
  });
}

void DrainWatch::check() {
  std::vector<ConnectionId> ready;
  for (ConnectionId id : blocked_) {
    if (drained_(id)) ready.push_back(id);
  }
  for (ConnectionId id : ready) blocked_.erase(id);
  // on_drained may write again and so watch the same connection anew.
  for (ConnectionId id : ready) on_drained_(id);
  arm();
}

}  // namespace tether::transport::detail
