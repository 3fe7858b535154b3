// The only translation unit that instantiates websocketpp's client role.
#include "transport/ws_client.h"

#include "transport/detail/asio_setup.h"

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <websocketpp/client.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <unordered_map>
#include <variant>

#include "transport/detail/close_classifier.h"
#include "transport/detail/close_reason.h"
#include "transport/detail/event_loop_access.h"
#include "transport/detail/prepared_frame.h"
#include "transport/detail/resolving_endpoint.h"
#include "transport/detail/spki_pin.h"
#include "transport/detail/tls_contexts.h"
#include "transport/detail/ws_config.h"

namespace tether::transport {

namespace {

using PlainEndpoint = websocketpp::client<detail::WithDetachedLookups<detail::PlainClientConfig>>;
using TlsEndpoint = websocketpp::client<detail::WithDetachedLookups<detail::TlsClientConfig>>;
using AnyConnection = std::variant<PlainEndpoint::connection_ptr, TlsEndpoint::connection_ptr>;

template <typename ConnectionPtr>
void drop_socket(const ConnectionPtr& connection) {
  // Closing the socket fails every pending operation, so websocketpp tears the
  // connection down on its own without a close handshake.
  asio::error_code ignored;
  connection->get_raw_socket().close(ignored);
}

std::string check_options(const ClientConnectOptions& options) {
  const std::string_view url = options.url;
  const bool ws = url.substr(0, 5) == "ws://" && url.size() > 5;
  const bool wss = url.substr(0, 6) == "wss://" && url.size() > 6;
  if (!ws && !wss) return "url must start with ws:// or wss:// and name a host: \"" + options.url + "\"";
  for (const std::string& pin : options.pinned_spki_sha256) {
    if (!detail::is_valid_spki_pin(pin)) {
      return "pinned_spki_sha256 entries must be base64 of 32 bytes, got \"" + pin + "\"";
    }
  }
  if (options.connect_timeout_ms <= 0) return "connect_timeout_ms must be positive";
  return {};
}

}  // namespace

bool is_valid_spki_pin(std::string_view pin) noexcept { return detail::is_valid_spki_pin(pin); }

class WsClient::Impl : public std::enable_shared_from_this<WsClient::Impl> {
 public:
  explicit Impl(EventLoop& loop)
      : loop_(loop), io_(detail::EventLoopAccess::io_context(loop)) {
    std::error_code ec;
    plain_.init_asio(&io_, ec);
    if (!ec) tls_.init_asio(&io_, ec);
    if (ec) throw std::system_error(ec);
    plain_.set_user_agent("Tether");
    tls_.set_user_agent("Tether");
    // websocketpp asks for the context while get_connection() runs, so the
    // settings of the connection being created are parked in pending_tls_.
    tls_.set_tls_init_handler([this](websocketpp::connection_hdl) { return make_pending_tls_context(); });
  }

  ConnectionId connect(const ClientConnectOptions& options, ClientHandlers handlers) {
    const ConnectionId id = next_id_++;
    auto shared_handlers = std::make_shared<const ClientHandlers>(std::move(handlers));
    std::string problem = check_options(options);
    websocketpp::uri_ptr uri;
    if (problem.empty()) {
      uri = std::make_shared<websocketpp::uri>(options.url);
      if (!uri->get_valid()) problem = "url is not valid: \"" + options.url + "\"";
    }
    if (!problem.empty()) {
      report_later(id, shared_handlers, detail::invalid_options_close(std::move(problem)));
      return id;
    }
    forget_finished_connections();
    try {
      if (uri->get_secure()) {
        start(tls_, id, uri, options, shared_handlers);
      } else {
        start(plain_, id, uri, options, shared_handlers);
      }
    } catch (const std::exception& e) {
      pending_tls_.reset();
      CloseInfo info = detail::invalid_options_close(std::string("cannot start: ") + e.what());
      if (Entry* entry = find_live(id)) {
        std::visit([](auto& connection) { drop_socket(connection); }, entry->connection);
        abandon(id, std::move(info));
      } else {
        report_later(id, shared_handlers, std::move(info));
      }
    }
    return id;
  }

  bool send(ConnectionId id, std::string_view bytes, websocketpp::frame::opcode::value opcode,
            detail::TextCheck check, std::string* refusal) {
    Entry* entry = find_live(id);
    if (entry == nullptr || entry->stage != detail::Stage::Open) return false;
    std::error_code ec;
    std::visit(
        [&](auto& connection) {
          ec = detail::send_prepared(connection, bytes, opcode, check, /*masked=*/true, masking_keys_());
        },
        entry->connection);
    // invalid_state: websocketpp is already closing; on_closed tells the rest.
    if (ec && refusal != nullptr && ec != websocketpp::error::make_error_code(websocketpp::error::invalid_state)) {
      *refusal = ec.message();
    }
    return !ec;
  }

  std::size_t buffered_bytes(ConnectionId id) const {
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.reported) return 0;
    std::size_t bytes = 0;
    std::visit([&](const auto& connection) { bytes = connection->get_buffered_amount(); }, it->second.connection);
    return bytes;
  }

  bool close(ConnectionId id, uint16_t code, std::string_view reason) {
    Entry* entry = find_live(id);
    if (entry == nullptr || entry->request == detail::LocalRequest::Close) return false;
    std::string fitted = detail::fit_close_reason(reason);
    if (entry->stage != detail::Stage::Open) {
      std::visit([](auto& connection) { drop_socket(connection); }, entry->connection);
      return abandon(id, detail::closed_before_open(code, std::move(fitted)));
    }
    return detail::request_close(*entry, code, std::move(fitted));
  }

  bool abort(ConnectionId id) {
    Entry* entry = find_live(id);
    if (entry == nullptr) return false;
    std::visit([](auto& connection) { drop_socket(connection); }, entry->connection);
    return abandon(id, detail::aborted_close());
  }

  // The WsClient is going away: silence everything and drop every socket.
  void detach() {
    detached_ = true;
    // A lookup that never answers would otherwise keep its connection, and
    // so this Impl, alive until the system resolver gives up.
    plain_.cancel_lookups();
    tls_.cancel_lookups();
    for (auto& [id, entry] : entries_) {
      std::visit([](auto& connection) { drop_socket(connection); }, entry.connection);
    }
    // Connections still reaching websocketpp callbacks are found by handle.
    entries_.clear();
  }

  // True once no websocketpp connection, and so no queued Asio handler that
  // points into the endpoints, is left.
  bool is_idle() {
    forget_finished_connections();
    return entries_.empty() && created_.empty();
  }

 private:
  struct Entry {
    AnyConnection connection;
    std::shared_ptr<const ClientHandlers> handlers;  // shared so a call survives the entry
    std::vector<std::string> offered_subprotocols;
    std::shared_ptr<detail::TlsFindings> tls;
    std::unique_ptr<asio::steady_timer> deadline;
    int64_t timeout_ms = 0;
    detail::Stage stage = detail::Stage::Connecting;
    detail::LocalRequest request = detail::LocalRequest::None;
    uint16_t requested_code = 0;
    std::string requested_reason;
    bool reported = false;  // on_closed is out (or owed by a posted task)
  };

  struct PendingTls {
    detail::ClientTlsSettings settings;
    std::shared_ptr<detail::TlsFindings> findings;
    std::string error;
  };

  template <typename Endpoint>
  void start(Endpoint& endpoint, ConnectionId id, const websocketpp::uri_ptr& uri,
             const ClientConnectOptions& options, const std::shared_ptr<const ClientHandlers>& handlers) {
    constexpr bool secure = std::is_same_v<Endpoint, TlsEndpoint>;
    Entry entry;
    entry.handlers = handlers;
    entry.offered_subprotocols = options.subprotocols;
    entry.timeout_ms = options.connect_timeout_ms;
    if constexpr (secure) {
      entry.tls = std::make_shared<detail::TlsFindings>();
      pending_tls_ = PendingTls{{uri->get_host(), options.verify_peer, options.ca_file, options.ca_pem,
                                 options.pinned_spki_sha256},
                                entry.tls, {}};
    }
    std::error_code ec;
    typename Endpoint::connection_ptr connection = endpoint.get_connection(uri, ec);
    std::string tls_error = pending_tls_ ? std::move(pending_tls_->error) : std::string();
    pending_tls_.reset();
    if (ec || !connection) {
      report_later(id, handlers, detail::invalid_options_close(
          !tls_error.empty() ? tls_error : "cannot create the connection: " + ec.message()));
      return;
    }
    for (const std::string& subprotocol : options.subprotocols) {
      connection->add_subprotocol(subprotocol, ec);
      if (ec) {
        report_later(id, handlers, detail::invalid_options_close(
            "cannot offer subprotocol \"" + subprotocol + "\": " + ec.message()));
        return;
      }
    }
    if (options.max_message_size > 0) connection->set_max_message_size(options.max_message_size);
    connection->set_open_handshake_timeout(static_cast<long>(options.connect_timeout_ms));
    install_handlers(endpoint, connection, id);

    entry.connection = connection;
    entry.deadline = std::make_unique<asio::steady_timer>(io_);
    entry.deadline->expires_after(std::chrono::milliseconds(options.connect_timeout_ms));
    entry.deadline->async_wait([weak = weak_from_this(), id](const asio::error_code& error) {
      if (error) return;
      if (auto self = weak.lock()) self->on_deadline(id);
    });
    created_.push_back(connection);
    entries_.emplace(id, std::move(entry));
    endpoint.connect(connection);
  }

  // Handlers capture `this` raw: the Impl outlives every websocketpp
  // connection it created (see EventLoopAccess::retire).
  template <typename Endpoint>
  void install_handlers(Endpoint& endpoint, const typename Endpoint::connection_ptr& connection,
                        ConnectionId id) {
    constexpr bool secure = std::is_same_v<Endpoint, TlsEndpoint>;
    Endpoint* owner = &endpoint;
    // Runs once TCP is connected, before TLS.
    connection->set_tcp_pre_init_handler([this, owner, id](websocketpp::connection_hdl handle) {
      Entry* entry = find_live(id);
      if (entry == nullptr) return drop_by_handle(*owner, handle);
      entry->stage = secure ? detail::Stage::TlsHandshake : detail::Stage::WsHandshake;
    });
    // Runs after the TLS handshake (right away for ws), before the upgrade request.
    connection->set_tcp_post_init_handler([this, owner, id](websocketpp::connection_hdl handle) {
      Entry* entry = find_live(id);
      if (entry == nullptr) return drop_by_handle(*owner, handle);
      entry->stage = detail::Stage::WsHandshake;
      std::visit([](auto& live) {
        asio::error_code ignored;
        live->get_raw_socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      }, entry->connection);
    });
    connection->set_open_handler([this, owner, id](websocketpp::connection_hdl handle) {
      if (find_live(id) == nullptr) return drop_by_handle(*owner, handle);
      on_ws_open(id);
    });
    connection->set_message_handler([this, id](websocketpp::connection_hdl, auto message) {
      on_ws_message(id, message->get_opcode(), message->get_payload());
    });
    connection->set_fail_handler([this, id](websocketpp::connection_hdl) { on_ws_end(id); });
    connection->set_close_handler([this, id](websocketpp::connection_hdl) { on_ws_end(id); });
  }

  template <typename Endpoint>
  static void drop_by_handle(Endpoint& endpoint, const websocketpp::connection_hdl& handle) {
    std::error_code ec;
    auto connection = endpoint.get_con_from_hdl(handle, ec);
    if (!ec && connection) drop_socket(connection);
  }

  std::shared_ptr<asio::ssl::context> make_pending_tls_context() {
    if (!pending_tls_) return nullptr;
    return detail::make_client_tls_context(pending_tls_->settings, pending_tls_->findings,
                                           pending_tls_->error);
  }

  void on_ws_open(ConnectionId id) {
    Entry& entry = entries_.at(id);
    if (!server_accepted_subprotocol(entry)) {
      entry.request = detail::LocalRequest::RejectSubprotocol;
      entry.deadline.reset();  // the close handshake has its own timeout
      std::visit([](auto& connection) {
        std::error_code ignored;
        connection->close(websocketpp::close::status::protocol_error, "no subprotocol accepted", ignored);
      }, entry.connection);
      return;
    }
    entry.stage = detail::Stage::Open;
    entry.deadline.reset();
    const auto handlers = entry.handlers;
    if (handlers->on_open) handlers->on_open(id);
  }

  void on_ws_message(ConnectionId id, websocketpp::frame::opcode::value opcode, const std::string& payload) {
    Entry* entry = find_live(id);
    if (entry == nullptr || entry->stage != detail::Stage::Open) return;
    const auto handlers = entry->handlers;
    if (opcode == websocketpp::frame::opcode::binary && handlers->on_binary) {
      handlers->on_binary(id, payload);
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
    if (handlers->on_text) handlers->on_text(id, payload);
  }

  // websocketpp's last word on a connection (fail or close handler).
  void on_ws_end(ConnectionId id) {
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    Entry& entry = it->second;
    const bool owed = !entry.reported;
    CloseInfo info;
    if (owed) {
      detail::ConnectionOutcome outcome;
      outcome.stage = entry.stage;
      outcome.request = entry.request;
      outcome.requested_code = entry.requested_code;
      outcome.requested_reason = entry.requested_reason;
      outcome.tls = entry.tls.get();
      std::visit([&](auto& connection) { detail::read_end_state(*connection, outcome); }, entry.connection);
      info = detail::classify_close(outcome);
    }
    const auto handlers = entry.handlers;
    entries_.erase(it);
    if (owed && !detached_ && handlers->on_closed) handlers->on_closed(id, info);
  }

  void on_deadline(ConnectionId id) {
    Entry* entry = find_live(id);
    if (entry == nullptr || entry->stage == detail::Stage::Open) return;
    std::visit([](auto& connection) { drop_socket(connection); }, entry->connection);
    const int64_t timeout_ms = entry->timeout_ms;
    const auto handlers = entry->handlers;
    mark_reported(*entry);
    if (!detached_ && handlers->on_closed) handlers->on_closed(id, detail::timeout_close(timeout_ms));
  }

  bool server_accepted_subprotocol(const Entry& entry) const {
    if (entry.offered_subprotocols.empty()) return true;
    std::string chosen;
    std::visit([&](auto& connection) { chosen = connection->get_response_header("Sec-WebSocket-Protocol"); },
               entry.connection);
    const auto& offered = entry.offered_subprotocols;
    return std::find(offered.begin(), offered.end(), chosen) != offered.end();
  }

  // Ends the attempt now on this side: on_closed is posted, never called from
  // inside the API call. websocketpp's own end, arriving later, is ignored.
  bool abandon(ConnectionId id, CloseInfo info) {
    Entry* entry = find_live(id);
    if (entry == nullptr) return false;
    const auto handlers = entry->handlers;
    mark_reported(*entry);
    report_later(id, handlers, std::move(info));
    return true;
  }

  void mark_reported(Entry& entry) {
    entry.reported = true;
    entry.deadline.reset();
  }

  void report_later(ConnectionId id, std::shared_ptr<const ClientHandlers> handlers, CloseInfo info) {
    loop_.post([weak = weak_from_this(), id, handlers = std::move(handlers), info = std::move(info)] {
      auto self = weak.lock();
      if (!self || self->detached_ || !handlers->on_closed) return;
      handlers->on_closed(id, info);
    });
  }

  Entry* find_live(ConnectionId id) {
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.reported) return nullptr;
    return &it->second;
  }

  void forget_finished_connections() {
    created_.erase(std::remove_if(created_.begin(), created_.end(),
                                  [](const std::weak_ptr<void>& c) { return c.expired(); }),
                   created_.end());
  }

  EventLoop& loop_;
  asio::io_context& io_;
  PlainEndpoint plain_;
  TlsEndpoint tls_;
  std::optional<PendingTls> pending_tls_;
  std::unordered_map<ConnectionId, Entry> entries_;  // declared after the endpoints: freed first
  std::vector<std::weak_ptr<void>> created_;          // every websocketpp connection not yet freed
  detail::MaskingKeyGenerator masking_keys_;          // a fresh key for every frame this client sends
  ConnectionId next_id_ = 1;
  bool detached_ = false;
};

WsClient::WsClient(EventLoop& loop) : loop_(&loop) {
  try {
    impl_ = std::make_shared<Impl>(loop);
  } catch (...) {
    impl_.reset();  // every call then fails harmlessly
  }
}

WsClient::~WsClient() {
  if (!impl_) return;
  try {
    impl_->detach();
  } catch (...) {
    // Dropping sockets does not throw; nothing more to do if it did.
  }
  Impl* raw = impl_.get();
  detail::EventLoopAccess::retire(*loop_, std::move(impl_), [raw] { return raw->is_idle(); });
}

ConnectionId WsClient::connect(const ClientConnectOptions& options, ClientHandlers handlers) noexcept {
  try {
    return impl_ ? impl_->connect(options, std::move(handlers)) : kNoConnection;
  } catch (...) {
    return kNoConnection;
  }
}

bool WsClient::send_frame(ConnectionId id, std::string_view bytes, FrameFormat format, std::string* refusal) noexcept {
  try {
    if (refusal != nullptr) refusal->clear();
    const bool binary = format == FrameFormat::Binary;
    const auto opcode = binary ? websocketpp::frame::opcode::binary : websocketpp::frame::opcode::text;
    const auto check = format == FrameFormat::EncodedText ? detail::TextCheck::Trusted : detail::TextCheck::Check;
    return impl_ && impl_->send(id, bytes, opcode, check, refusal);
  } catch (...) {
    // Most likely out of memory: the frame is lost all the same.
    try {
      if (refusal != nullptr) *refusal = "cannot queue the frame (out of memory)";
    } catch (...) {
    }
    return false;
  }
}

std::size_t WsClient::buffered_bytes(ConnectionId id) const noexcept {
  return impl_ ? impl_->buffered_bytes(id) : 0;
}

bool WsClient::close(ConnectionId id, uint16_t code, std::string_view reason) noexcept {
  try {
    return impl_ && impl_->close(id, code, reason);
  } catch (...) {
    return false;
  }
}

bool WsClient::abort(ConnectionId id) noexcept {
  try {
    return impl_ && impl_->abort(id);
  } catch (...) {
    return false;
  }
}

}  // namespace tether::transport
