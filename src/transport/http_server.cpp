// The only translation unit with websocketpp's server role used for plain
// HTTP: operations endpoints (health, metrics). Every public call is
// noexcept: what websocketpp or Asio might throw stops here.
#include "transport/http_server.h"

#include "transport/detail/asio_setup.h"

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <websocketpp/server.hpp>

// First after websocketpp, as in ws_server.cpp: this file instantiates the
// same server role, and both must see the same explicit specialization, or
// the linker may keep this file's copy, which accepts pre-RFC 6455 drafts.
#include "transport/detail/rfc6455_only.h"

#include <algorithm>
#include <vector>

#include "transport/detail/event_loop_access.h"
#include "transport/detail/server_sockets.h"
#include "transport/detail/ws_config.h"

namespace tether::transport {

namespace {
using Endpoint = websocketpp::server<detail::PlainServerConfig>;
}  // namespace

class HttpServer::Impl {
 public:
  Impl(EventLoop& loop, HttpHandler handler) : io_(detail::EventLoopAccess::io_context(loop)), handler_(std::move(handler)) {
    std::error_code ec;
    endpoint_.init_asio(&io_, ec);
    if (ec) throw std::system_error(ec);
#ifndef _WIN32
    endpoint_.set_reuse_addr(true);  // as WsServer: a restarted server rebinds at once
#endif
    endpoint_.set_user_agent("Tether");
    // Handlers capture `this` raw: the Impl outlives every connection it
    // made (HttpServer's destructor retires it until they are all gone).
    endpoint_.set_tcp_pre_init_handler([this](websocketpp::connection_hdl handle) { on_accepted(handle); });
    endpoint_.set_validate_handler([](websocketpp::connection_hdl) { return false; });  // no WebSocket here
    endpoint_.set_http_handler([this](websocketpp::connection_hdl handle) { answer(handle); });
  }

  ListenResult listen(const std::string& host, uint16_t port) {
    ListenResult result;
    if (listening_) {
      result.error = ListenError::AlreadyListening;
      result.detail = "already listening";
      return result;
    }
    asio::ip::address address;
    if (!detail::resolve_host(io_, host, address, result.detail)) {
      result.error = ListenError::InvalidAddress;
      return result;
    }
    std::error_code ec;
    endpoint_.listen(asio::ip::tcp::endpoint(address, port), ec);
    asio::error_code local_ec;
    if (!ec) result.port = endpoint_.get_local_endpoint(local_ec).port();
    if (!ec && !local_ec) endpoint_.start_accept(ec);
    if (ec || local_ec) {
      stop_listening();
      result.error = ec == asio::error::address_in_use ? ListenError::AddressInUse : ListenError::BindFailed;
      result.detail = "cannot listen on " + host + ":" + std::to_string(port) + ": " +
                      (ec ? ec.message() : local_ec.message());
      return result;
    }
    listening_ = true;
    return result;
  }

  void stop_listening() {
    listening_ = false;
    std::error_code ignored;
    if (endpoint_.is_listening()) endpoint_.stop_listening(ignored);
  }

  // Closes every connection's socket; their handlers then run down.
  void detach() {
    stop_listening();
    for (const auto& weak : connections_) {
      std::error_code ec;
      auto connection = endpoint_.get_con_from_hdl(weak, ec);
      if (!ec && connection) detail::drop_socket(connection);
    }
  }

  bool is_idle() {
    prune();
    return connections_.empty();
  }

 private:
  void on_accepted(websocketpp::connection_hdl handle) {
    std::error_code ec;
    auto connection = endpoint_.get_con_from_hdl(handle, ec);
    if (ec || !connection) return;
    prune();
    if (connections_.size() >= kMaxHttpConnections) return detail::drop_socket(connection);
    connections_.push_back(handle);
    connection->set_max_http_body_size(0);  // GET and HEAD carry none
    connection->set_open_handshake_timeout(kHttpRequestTimeoutMs);
  }

  void answer(websocketpp::connection_hdl handle) {
    std::error_code ec;
    auto connection = endpoint_.get_con_from_hdl(handle, ec);
    if (ec || !connection) return;
    const std::string& method = connection->get_request().get_method();
    if (method != "GET" && method != "HEAD") {
      connection->set_status(websocketpp::http::status_code::method_not_allowed);
      connection->append_header("Allow", "GET, HEAD");
      return;
    }
    std::string_view path = connection->get_resource();
    path = path.substr(0, path.find('?'));
    HttpResponse response;
    try {
      response = handler_(method, path);
    } catch (...) {
      response = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    connection->set_status(static_cast<websocketpp::http::status_code::value>(response.status));
    connection->replace_header("Content-Type", response.content_type);
    connection->replace_header("Cache-Control", "no-store");
    if (method == "GET") connection->set_body(std::move(response.body));
  }

  // Forgets connections websocketpp has freed.
  void prune() {
    connections_.erase(std::remove_if(connections_.begin(), connections_.end(),
                                      [](const websocketpp::connection_hdl& weak) { return weak.expired(); }),
                       connections_.end());
  }

  asio::io_context& io_;
  HttpHandler handler_;
  Endpoint endpoint_;
  std::vector<websocketpp::connection_hdl> connections_;  // weak: those websocketpp still holds
  bool listening_ = false;
};

HttpServer::HttpServer(EventLoop& loop, HttpHandler handler) : loop_(&loop) {
  try {
    impl_ = std::make_shared<Impl>(loop, std::move(handler));
  } catch (...) {
    impl_.reset();  // every call then fails harmlessly
  }
}

HttpServer::~HttpServer() {
  if (!impl_) return;
  try {
    impl_->detach();
  } catch (...) {
  }
  Impl* raw = impl_.get();
  detail::EventLoopAccess::retire(*loop_, std::move(impl_), [raw] { return raw->is_idle(); });
}

ListenResult HttpServer::listen(const std::string& host, uint16_t port) noexcept {
  ListenResult failed;
  failed.error = ListenError::BindFailed;
  try {
    if (!impl_) return failed;
    return impl_->listen(host, port);
  } catch (const std::exception& e) {
    failed.detail = e.what();
    return failed;
  } catch (...) {
    return failed;
  }
}

void HttpServer::stop_listening() noexcept {
  try {
    if (impl_) impl_->stop_listening();
  } catch (...) {
  }
}

}  // namespace tether::transport
