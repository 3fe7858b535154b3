// The only translation unit that instantiates websocketpp's server role
// (through detail/ws_server_impl.h). Every public call is noexcept: what
// websocketpp or Asio might throw stops here.
#include "transport/ws_server.h"

#include "transport/detail/ws_server_impl.h"

namespace tether::transport {

WsServer::WsServer(EventLoop& loop, ServerHandlers handlers) : loop_(&loop) {
  try {
    impl_ = std::make_shared<Impl>(loop, std::move(handlers));
  } catch (...) {
    impl_.reset();  // every call then fails harmlessly
  }
}

WsServer::~WsServer() {
  if (!impl_) return;
  try {
    impl_->detach();
  } catch (...) {
    // Closing sockets does not throw; nothing more to do if it did.
  }
  Impl* raw = impl_.get();
  detail::EventLoopAccess::retire(*loop_, std::move(impl_), [raw] { return raw->is_idle(); });
}

ListenResult WsServer::listen(const ServerListenOptions& options) noexcept {
  ListenResult failed;
  failed.error = ListenError::BindFailed;
  try {
    if (!impl_) return failed;
    return impl_->listen(options);
  } catch (const std::exception& e) {
    failed.detail = e.what();
    return failed;
  } catch (...) {
    return failed;
  }
}

void WsServer::stop_listening() noexcept {
  try {
    if (impl_) impl_->stop_listening();
  } catch (...) {
  }
}

bool WsServer::send_text(ConnectionId id, std::string_view text) noexcept {
  try {
    return impl_ && impl_->send(id, text, websocketpp::frame::opcode::text, detail::TextCheck::Check);
  } catch (...) {
    return false;
  }
}

bool WsServer::send_encoded_text(ConnectionId id, std::string_view text) noexcept {
  try {
    return impl_ && impl_->send(id, text, websocketpp::frame::opcode::text, detail::TextCheck::Trusted);
  } catch (...) {
    return false;
  }
}

bool WsServer::send_binary(ConnectionId id, std::string_view bytes) noexcept {
  try {
    return impl_ && impl_->send(id, bytes, websocketpp::frame::opcode::binary, detail::TextCheck::Check);
  } catch (...) {
    return false;
  }
}

std::size_t WsServer::buffered_bytes(ConnectionId id) const noexcept {
  return impl_ ? impl_->buffered_bytes(id) : 0;
}

bool WsServer::writable(ConnectionId id) noexcept {
  try {
    return impl_ && impl_->writable(id);
  } catch (...) {
    return false;
  }
}

bool WsServer::close(ConnectionId id, uint16_t code, std::string_view reason) noexcept {
  try {
    return impl_ && impl_->close(id, code, reason);
  } catch (...) {
    return false;
  }
}

bool WsServer::abort(ConnectionId id) noexcept {
  try {
    return impl_ && impl_->abort(id);
  } catch (...) {
    return false;
  }
}

std::size_t WsServer::close_all(uint16_t code, std::string_view reason) noexcept {
  try {
    return impl_ ? impl_->close_all(code, reason) : 0;
  } catch (...) {
    return 0;
  }
}

std::size_t WsServer::open_connection_count() const noexcept {
  return impl_ ? impl_->open_connection_count() : 0;
}

}  // namespace tether::transport
