#pragma once
// Connections whose outgoing buffer is over its bound, rechecked on a short
// interval until it drains. websocketpp reports no write completions, so a
// writer that stopped at the bound would otherwise never hear that it may go
// on. The timer runs only while some connection is watched.
#include "transport/detail/asio_setup.h"

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <unordered_set>
#include <vector>

#include "transport/connection_id.h"

namespace tether::transport::detail {

class DrainWatch {
 public:
  // `drained(id)`: whether a watched connection may be written to again (or
  // is gone). `on_drained(id)` follows once for each, outside any caller's call.
  DrainWatch(asio::io_context& io, std::chrono::milliseconds interval, std::function<bool(ConnectionId)> drained,
             std::function<void(ConnectionId)> on_drained);
  DrainWatch(const DrainWatch&) = delete;
  DrainWatch& operator=(const DrainWatch&) = delete;

  void watch(ConnectionId id);
  void forget(ConnectionId id);  // the connection ended: no on_drained
  void clear();
  bool watching(ConnectionId id) const { return blocked_.count(id) != 0; }

 private:
  void arm();
  void check();

  asio::steady_timer timer_;
  const std::chrono::milliseconds interval_;
  std::function<bool(ConnectionId)> drained_;
  std::function<void(ConnectionId)> on_drained_;
  std::unordered_set<ConnectionId> blocked_;
  bool armed_ = false;
  // The pending wait may complete after we are gone; it holds this weakly.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace tether::transport::detail
