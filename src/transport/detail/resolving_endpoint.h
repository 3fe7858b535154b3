#pragma once
// websocketpp's Asio client transport with its host name lookup replaced by
// HostLookups, so that destroying a client never waits for a DNS server.
// Include only from ws_client.cpp (see ws_config.h).
#include "transport/detail/host_lookup.h"
#include "transport/detail/ws_config.h"

#include <cstdint>
#include <memory>

namespace tether::transport::detail {

template <typename TransportConfig>
class ResolvingEndpoint : public websocketpp::transport::asio::endpoint<TransportConfig> {
  using base = websocketpp::transport::asio::endpoint<TransportConfig>;

 public:
  // Abandons every lookup in progress: their connections never go further,
  // and so stop holding the WsClient that owns this endpoint.
  void cancel_lookups() {
    if (lookups_) lookups_->cancel_all();
  }

 protected:
  using transport_con_ptr = typename base::transport_con_ptr;
  using timer_ptr = typename base::timer_ptr;

  // Hides base::async_connect, which the client role calls by this class's
  // name. Everything after the lookup (TCP connect, its timer, the handlers)
  // is still base's own code.
  void async_connect(transport_con_ptr tcon, websocketpp::uri_ptr uri,
                     websocketpp::transport::connect_handler callback) {
    // Tether never sets a proxy; base's path would use Asio's resolver.
    if (!tcon->get_proxy().empty()) return base::async_connect(tcon, uri, callback);
    if (!lookups_) lookups_ = std::make_unique<HostLookups>(this->get_io_service());
    tcon->set_uri(uri);  // TLS takes the SNI host name from it

    // The timer is made after the lookup starts (it needs the id), and the
    // lookup never completes inside start(), so it always finds the timer.
    auto dns_timer = std::make_shared<timer_ptr>();
    const uint64_t id = lookups_->start(
        uri->get_host(), uri->get_port_str(),
        [this, tcon, callback, dns_timer](const asio::error_code& ec, const HostLookups::Results& results) {
          if (ec == asio::error::operation_aborted) {
            if (*dns_timer) (*dns_timer)->cancel();  // frees the connection the timer holds
            return;
          }
          this->handle_resolve(tcon, *dns_timer, callback, ec, results);
        });
    *dns_timer = tcon->set_timer(TransportConfig::timeout_dns_resolve,
                                 [this, id, callback](const std::error_code& ec) {
                                   if (ec == websocketpp::transport::error::operation_aborted) return;
                                   lookups_->cancel(id);
                                   callback(ec ? ec
                                               : websocketpp::transport::error::make_error_code(
                                                     websocketpp::transport::error::timeout));
                                 });
  }

 private:
  std::unique_ptr<HostLookups> lookups_;  // made on first use: the io_context is set after construction
};

// A client config whose transport looks host names up with HostLookups.
template <typename Config>
struct WithDetachedLookups : Config {
  using type = WithDetachedLookups;
  using transport_type = ResolvingEndpoint<typename Config::transport_config>;
};

}  // namespace tether::transport::detail
