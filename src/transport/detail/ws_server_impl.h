#pragma once
// WsServer::Impl: websocketpp's server role on Tether's EventLoop. Private
// to ws_server.cpp, the only translation unit that instantiates the role;
// the public wrappers there keep exceptions from leaving the transport.
#include "transport/ws_server.h"

#include "transport/detail/asio_setup.h"

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <websocketpp/server.hpp>

// First after websocketpp: it must precede every use of the server role.
#include "transport/detail/rfc6455_only.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <utility>
#include <variant>

#include "transport/detail/close_classifier.h"
#include "transport/detail/close_reason.h"
#include "transport/detail/connection_memory.h"
#include "transport/detail/drain_watch.h"
#include "transport/detail/event_loop_access.h"
#include "transport/detail/prepared_frame.h"
#include "transport/detail/server_sockets.h"
#include "transport/detail/upgrade_request.h"
#include "transport/detail/tls_contexts.h"
#include "transport/detail/ws_config.h"

namespace tether::transport {

// Unnamed: this header has exactly one includer, ws_server.cpp.
namespace {

using PlainEndpoint = websocketpp::server<detail::PlainServerConfig>;
using TlsEndpoint = websocketpp::server<detail::TlsServerConfig>;
using AnyConnection = std::variant<PlainEndpoint::connection_ptr, TlsEndpoint::connection_ptr>;

// After an accept error such as "too many open files", wait instead of spinning.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);
// How often a connection over its send bound is checked for having drained.
// Short against the time its socket takes to send that much, so the pipe
// stays full; 4 MiB take about 10 ms at 3 Gbit/s.
constexpr auto kDrainCheckInterval = std::chrono::milliseconds(10);

using detail::drop_socket;
using detail::remote_address_of;
using detail::resolve_host;

}  // namespace

class WsServer::Impl : public std::enable_shared_from_this<WsServer::Impl> {
 public:
  Impl(EventLoop& loop, ServerHandlers handlers)
      : loop_(loop),
        io_(detail::EventLoopAccess::io_context(loop)),
        handlers_(std::move(handlers)),
        accept_retry_(io_),
        drain_(io_, kDrainCheckInterval, [this](ConnectionId id) { return !over_send_bound(id); },
               [this](ConnectionId id) { on_drained(id); }) {
    std::error_code ec;
    plain_.init_asio(&io_, ec);
    if (!ec) tls_.init_asio(&io_, ec);
    if (ec) throw std::system_error(ec);
#ifndef _WIN32
    // Lets a restarted server rebind while old sockets sit in TIME_WAIT. On
    // Windows the same flag would let another process steal the port.
    plain_.set_reuse_addr(true);
    tls_.set_reuse_addr(true);
#endif
    plain_.set_user_agent("Tether");
    tls_.set_user_agent("Tether");
    tls_.set_tls_init_handler([this](websocketpp::connection_hdl) { return tls_context_; });
  }

  ListenResult listen(const ServerListenOptions& options) {
    ListenResult result;
    if (listening_) return fail(ListenError::AlreadyListening, "already listening");
    asio::ip::address address;
    if (!resolve_host(io_, options.host, address, result.detail)) {
      return fail(ListenError::InvalidAddress, std::move(result.detail));
    }
    const bool secure = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
    if (secure) {
      if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
        return fail(ListenError::TlsConfigInvalid, "wss needs both tls_cert_file and tls_key_file");
      }
      std::string error;
      tls_context_ = detail::make_server_tls_context(options.tls_cert_file, options.tls_key_file, error);
      if (!tls_context_) return fail(ListenError::TlsConfigInvalid, std::move(error));
    }
    options_ = options;
    secure_ = secure;
    std::error_code ec;
    uint16_t port = 0;
    with_endpoint([&](auto& endpoint) {
      endpoint.listen(asio::ip::tcp::endpoint(address, options.port), ec);
      if (ec) return;
      asio::error_code local_ec;
      port = endpoint.get_local_endpoint(local_ec).port();
      ec = local_ec;
    });
    if (ec) {
      stop_listening();
      const bool in_use = ec == asio::error::address_in_use;
      return fail(in_use ? ListenError::AddressInUse : ListenError::BindFailed,
                  "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                      ec.message());
    }
    listening_ = true;
    ++accept_generation_;
    with_endpoint([&](auto& endpoint) { accept_next(endpoint); });
    result.port = port;
    return result;
  }

  void stop_listening() {
    listening_ = false;
    ++accept_generation_;  // a pending retry or accept completion now does nothing
    accept_retry_.cancel();
    with_endpoint([](auto& endpoint) {
      std::error_code ignored;
      if (endpoint.is_listening()) endpoint.stop_listening(ignored);
    });
  }

  bool send(ConnectionId id, std::string_view bytes, websocketpp::frame::opcode::value opcode,
            detail::TextCheck check) {
    Entry* entry = find_open(id);
    if (entry == nullptr) return false;
    std::error_code ec;
    std::visit(
        [&](auto& connection) { ec = detail::send_prepared(connection, bytes, opcode, check, /*masked=*/false, 0); },
        entry->connection);
    return !ec;
  }

  std::size_t buffered_bytes(ConnectionId id) const {
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.reported) return 0;
    std::size_t bytes = 0;
    std::visit([&](const auto& connection) { bytes = connection->get_buffered_amount(); }, it->second.connection);
    return bytes;
  }

  bool writable(ConnectionId id) {
    if (find_open(id) == nullptr) return false;
    if (!over_send_bound(id)) return true;
    drain_.watch(id);
    return false;
  }

  bool close(ConnectionId id, uint16_t code, std::string_view reason) {
    Entry* entry = find_open(id);
    if (entry == nullptr || entry->request == detail::LocalRequest::Close) return false;
    std::string fitted = detail::fit_close_reason(reason);
    return detail::request_close(*entry, code, std::move(fitted));
  }

  bool abort(ConnectionId id) {
    Entry* entry = find_open(id);
    if (entry == nullptr) return false;
    std::visit([](auto& connection) { drop_socket(connection); }, entry->connection);
    entry->reported = true;
    // Posted: on_closed is never called from inside a WsServer call.
    loop_.post([weak = weak_from_this(), id] {
      auto self = weak.lock();
      if (self && !self->detached_ && self->handlers_.on_closed) {
        self->handlers_.on_closed(id, detail::aborted_close());
      }
    });
    return true;
  }

  std::size_t close_all(uint16_t code, std::string_view reason) {
    std::vector<ConnectionId> open;
    for (auto& [id, entry] : entries_) {
      if (entry.reported) continue;
      if (entry.open) {
        open.push_back(id);
      } else {
        std::visit([](auto& connection) { drop_socket(connection); }, entry.connection);
      }
    }
    std::size_t started = 0;
    for (ConnectionId id : open) {
      if (close(id, code, reason)) ++started;
    }
    return started;
  }

  std::size_t open_connection_count() const {
    return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& item) {
      return item.second.open && !item.second.reported;
    }));
  }

  void detach() {
    detached_ = true;
    stop_listening();
    for (auto& [id, entry] : entries_) {
      std::visit([](auto& connection) { drop_socket(connection); }, entry.connection);
    }
    entries_.clear();
    admitted_ = 0;
    handshaking_ = 0;
    drain_.clear();
  }

  bool is_idle() {
    forget_freed_connections();
    return entries_.empty() && created_.empty();
  }

  // A weak_ptr keeps a make_shared connection's whole block (its 16 KB read
  // buffer included) allocated, so freed ones must not pile up here.
  void forget_freed_connections() {
    created_.erase(std::remove_if(created_.begin(), created_.end(),
                                  [](const std::weak_ptr<void>& c) { return c.expired(); }),
                   created_.end());
    created_after_prune_ = created_.size();
  }

 private:
  struct Entry {
    AnyConnection connection;
    std::unique_ptr<asio::steady_timer> deadline;  // until open
    bool admitted = false;  // passed the handshake checks; counts toward max_connections
    bool handshaking = false;  // accepted, not yet admitted; counts toward max_pending_handshakes
    bool open = false;
    bool reported = false;
    detail::LocalRequest request = detail::LocalRequest::None;
    uint16_t requested_code = 0;
    std::string requested_reason;
  };

  ListenResult fail(ListenError error, std::string detail) {
    ListenResult result;
    result.error = error;
    result.detail = std::move(detail);
    return result;
  }

  template <typename F>
  void with_endpoint(F&& use) {
    if (secure_) {
      use(tls_);
    } else {
      use(plain_);
    }
  }

  // Our own accept loop instead of websocketpp's start_accept(), so that every
  // connection is tracked from creation and accept errors back off.
  template <typename Endpoint>
  void accept_next(Endpoint& endpoint) {
    if (!listening_ || !endpoint.is_listening()) return;
    typename Endpoint::connection_ptr connection = endpoint.get_connection();
    if (!connection) return retry_accept_later();
    const ConnectionId id = next_id_++;
    configure(endpoint, connection, id);
    Entry entry;
    entry.connection = connection;
    entries_.emplace(id, std::move(entry));
    // Pruned when it has doubled: amortized O(1) per accept, at most twice the live count.
    if (created_.size() >= 2 * created_after_prune_ + 64) forget_freed_connections();
    created_.push_back(connection);
    std::error_code ec;
    const uint64_t generation = accept_generation_;
    Endpoint* owner = &endpoint;
    // The callback owns the connection: the pending accept uses its socket.
    endpoint.async_accept(
        std::static_pointer_cast<typename Endpoint::transport_con_type>(connection),
        [this, owner, id, generation, connection](const std::error_code& error) {
          on_accepted(*owner, id, generation, connection, error);
        },
        ec);
    if (ec) {
      erase_entry(id);
      retry_accept_later();
    }
  }

  template <typename Endpoint>
  void on_accepted(Endpoint& endpoint, ConnectionId id, uint64_t generation,
                   const typename Endpoint::connection_ptr& connection, const std::error_code& error) {
    const bool current = generation == accept_generation_ && !detached_;
    if (error || !current) {
      if (!error) drop_socket(connection);
      erase_entry(id);
      const bool cancelled = error == websocketpp::error::make_error_code(websocketpp::error::operation_canceled);
      if (current && !cancelled) retry_accept_later();
      return;
    }
    auto it = entries_.find(id);
    if (it != entries_.end()) {
      Entry& entry = it->second;
      entry.handshaking = true;
      ++handshaking_;
      entry.deadline = std::make_unique<asio::steady_timer>(io_);
      entry.deadline->expires_after(std::chrono::milliseconds(std::max<int64_t>(options_.handshake_timeout_ms, 1)));
      entry.deadline->async_wait([weak = weak_from_this(), id](const asio::error_code& ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->on_handshake_deadline(id);
      });
      connection->start();
    }
    // At the bound, stop accepting: later connections wait in the kernel's
    // listen backlog (unread, costing us nothing) until a handshake ends,
    // rather than being refused into their clients' backoff.
    if (handshaking_ >= options_.max_pending_handshakes) {
      accept_paused_ = true;
      return;
    }
    accept_next(endpoint);
  }

  // A handshake ended (admitted, failed or timed out): take the next one.
  void handshake_done() {
    --handshaking_;
    if (!accept_paused_ || handshaking_ >= options_.max_pending_handshakes) return;
    accept_paused_ = false;
    with_endpoint([&](auto& endpoint) { accept_next(endpoint); });
  }

  void retry_accept_later() {
    if (!listening_ || detached_) return;
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait([weak = weak_from_this(), generation = accept_generation_](const asio::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self || generation != self->accept_generation_) return;
      self->with_endpoint([&](auto& endpoint) { self->accept_next(endpoint); });
    });
  }

  // Handlers capture `this` raw: the Impl outlives every websocketpp
  // connection it created (see EventLoopAccess::retire).
  template <typename Endpoint>
  void configure(Endpoint& endpoint, const typename Endpoint::connection_ptr& connection, ConnectionId id) {
    Endpoint* owner = &endpoint;
    if (options_.max_message_size > 0) connection->set_max_message_size(options_.max_message_size);
    // An upgrade request has no body. websocketpp would otherwise buffer up
    // to 32 MB of one, announced by Content-Length, before answering; with 0
    // any body is refused at once (HTTP 413).
    connection->set_max_http_body_size(0);
    connection->set_open_handshake_timeout(static_cast<long>(options_.handshake_timeout_ms));
    connection->set_tcp_post_init_handler([this, owner, id](websocketpp::connection_hdl handle) {
      std::error_code ec;
      auto live = owner->get_con_from_hdl(handle, ec);
      if (ec || !live) return;
      asio::error_code ignored;
      if (find_live(id) == nullptr) return drop_socket(live);
      live->get_raw_socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    });
    connection->set_validate_handler([this, owner, id](websocketpp::connection_hdl handle) {
      std::error_code ec;
      auto live = owner->get_con_from_hdl(handle, ec);
      Entry* entry = find_live(id);
      if (ec || !live || entry == nullptr) return false;
      return admit(*entry, *live);
    });
    connection->set_open_handler([this, owner, id](websocketpp::connection_hdl handle) {
      std::error_code ec;
      auto live = owner->get_con_from_hdl(handle, ec);
      if (ec || !live) return;
      if (find_live(id) == nullptr) return drop_socket(live);
      detail::release_handshake(*live);
      on_ws_open(id, remote_address_of(live));
    });
    connection->set_message_handler([this, id](websocketpp::connection_hdl, auto message) {
      on_ws_message(id, message->get_opcode(), message->get_payload());
    });
    connection->set_ping_handler([this, id](websocketpp::connection_hdl, std::string payload) {
      return detached_ || !handlers_.on_ping || find_open(id) == nullptr || handlers_.on_ping(id, payload.size());
    });
    connection->set_fail_handler([this, id](websocketpp::connection_hdl) { on_ws_end(id); });
    connection->set_close_handler([this, id](websocketpp::connection_hdl) { on_ws_end(id); });
  }

  // The handshake checks: a well-formed request, room left, and an
  // acceptable subprotocol.
  template <typename WsConnection>
  bool admit(Entry& entry, WsConnection& connection) {
    try {
      switch (detail::check_upgrade_headers(connection.get_request().get_headers())) {
        case detail::UpgradeProblem::None: break;
        case detail::UpgradeProblem::HasBody:
          connection.set_status(websocketpp::http::status_code::request_entity_too_large);
          return false;
        case detail::UpgradeProblem::BadRequest:
          connection.set_status(websocketpp::http::status_code::bad_request);
          return false;
      }
      if (admitted_ >= options_.max_connections) {
        connection.set_status(websocketpp::http::status_code::service_unavailable);
        connection.replace_header("Retry-After", "1");
        return false;
      }
      const std::vector<std::string>& offered = connection.get_requested_subprotocols();
      const std::string& wanted = options_.subprotocol;
      if (!offered.empty() && !wanted.empty()) {
        if (std::find(offered.begin(), offered.end(), wanted) == offered.end()) {
          connection.set_status(websocketpp::http::status_code::bad_request);
          return false;
        }
        connection.select_subprotocol(wanted);
      }
    } catch (...) {
      return false;  // websocketpp throws only on misuse; reject rather than guess
    }
    entry.admitted = true;
    ++admitted_;
    if (std::exchange(entry.handshaking, false)) handshake_done();
    return true;
  }

  void on_ws_open(ConnectionId id, const std::string& remote_address) {
    Entry& entry = entries_.at(id);
    entry.open = true;
    entry.deadline.reset();
    if (!detached_ && handlers_.on_open) handlers_.on_open(id, remote_address);
  }

  void on_ws_message(ConnectionId id, websocketpp::frame::opcode::value opcode, const std::string& payload) {
    Entry* entry = find_open(id);
    if (entry == nullptr) return;
    if (opcode == websocketpp::frame::opcode::binary && handlers_.on_binary) {
      if (!detached_) handlers_.on_binary(id, payload);
      return;
    }
    if (opcode != websocketpp::frame::opcode::text) {
      // Binary frames the owner does not take mean a confused peer.
      entry->request = detail::LocalRequest::ProtocolClose;
      std::visit([](auto& connection) {
        std::error_code ignored;
        connection->close(websocketpp::close::status::unsupported_data, "binary frames are not supported",
                          ignored);
      }, entry->connection);
      return;
    }
    if (!detached_ && handlers_.on_text) handlers_.on_text(id, payload);
  }

  // websocketpp's last word on a connection (fail or close handler).
  void on_ws_end(ConnectionId id) {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    Entry& entry = it->second;
    const bool owed = entry.open && !entry.reported;
    CloseInfo info;
    if (owed) {
      detail::ConnectionOutcome outcome;
      outcome.stage = detail::Stage::Open;
      outcome.request = entry.request;
      outcome.requested_code = entry.requested_code;
      outcome.requested_reason = entry.requested_reason;
      std::visit([&](auto& connection) { detail::read_end_state(*connection, outcome); }, entry.connection);
      info = detail::classify_close(outcome);
    }
    erase_entry(id);
    if (owed && !detached_ && handlers_.on_closed) handlers_.on_closed(id, info);
  }

  bool over_send_bound(ConnectionId id) const {
    return options_.max_send_buffer_bytes > 0 && buffered_bytes(id) >= options_.max_send_buffer_bytes;
  }

  void on_drained(ConnectionId id) {
    if (!detached_ && find_open(id) != nullptr && handlers_.on_writable) handlers_.on_writable(id);
  }

  void on_handshake_deadline(ConnectionId id) {
    Entry* entry = find_live(id);
    if (entry == nullptr || entry->open) return;
    std::visit([](auto& connection) { drop_socket(connection); }, entry->connection);
  }

  void erase_entry(ConnectionId id) {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    if (it->second.admitted) --admitted_;
    const bool was_handshaking = it->second.handshaking;
    entries_.erase(it);
    drain_.forget(id);
    if (was_handshaking) handshake_done();
  }

  Entry* find_live(ConnectionId id) {
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.reported) return nullptr;
    return &it->second;
  }

  Entry* find_open(ConnectionId id) {
    Entry* entry = find_live(id);
    return entry != nullptr && entry->open ? entry : nullptr;
  }

  EventLoop& loop_;
  asio::io_context& io_;
  ServerHandlers handlers_;
  PlainEndpoint plain_;
  TlsEndpoint tls_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  ServerListenOptions options_;
  bool secure_ = false;
  bool listening_ = false;
  uint64_t accept_generation_ = 0;
  asio::steady_timer accept_retry_;
  std::unordered_map<ConnectionId, Entry> entries_;  // declared after the endpoints: freed first
  std::vector<std::weak_ptr<void>> created_;          // every websocketpp connection not yet freed
  size_t created_after_prune_ = 0;                    // created_.size() after the last prune
  std::size_t admitted_ = 0;
  std::size_t handshaking_ = 0;  // entries with `handshaking` set
  bool accept_paused_ = false;   // at max_pending_handshakes: resumed by handshake_done()
  ConnectionId next_id_ = 1;
  bool detached_ = false;
  detail::DrainWatch drain_;  // open connections over max_send_buffer_bytes
};

}  // namespace tether::transport
