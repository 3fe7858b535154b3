#pragma once
// What the transport's own classes may reach inside an EventLoop.
#include "transport/detail/asio_setup.h"

#include <asio/io_context.hpp>

#include <functional>
#include <memory>

#include "transport/event_loop.h"

namespace tether::transport::detail {

struct EventLoopAccess {
  static asio::io_context& io_context(EventLoop& loop) noexcept;

  // Keeps `owner` alive until `is_idle()` holds, checked every few milliseconds
  // while the loop runs. Asio handlers still queued for a destroyed WsClient or
  // WsServer point into it, so it may only be freed once they have drained, or
  // when the loop itself is destroyed (queued handlers are then discarded unrun).
  static void retire(EventLoop& loop, std::shared_ptr<void> owner,
                     std::function<bool()> is_idle) noexcept;
};

}  // namespace tether::transport::detail
