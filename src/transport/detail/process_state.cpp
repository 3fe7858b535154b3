// WsClient::construct_process_state: see ws_client.h. The network thread
// compares error codes against these categories (function-local statics,
// destroyed at exit) and uses OpenSSL (cleaned up by its own exit handler).
#include "transport/detail/asio_setup.h"

#include <asio/error.hpp>
#include <asio/ssl/error.hpp>
#include <openssl/ssl.h>
#include <system_error>
#include <websocketpp/error.hpp>
#include <websocketpp/processors/base.hpp>
#include <websocketpp/transport/asio/base.hpp>
#include <websocketpp/transport/asio/security/base.hpp>
#include <websocketpp/transport/base/connection.hpp>

#include "transport/ws_client.h"

namespace tether::transport {

void WsClient::construct_process_state() noexcept {
  // OpenSSL registers its cleanup when first initialised: now, before the caller's handler.
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  const std::error_category* categories[] = {
      &std::generic_category(),
      &std::system_category(),
      &asio::error::get_system_category(),
      &asio::error::get_netdb_category(),
      &asio::error::get_addrinfo_category(),
      &asio::error::get_misc_category(),
      &asio::error::get_ssl_category(),
      &asio::ssl::error::get_stream_category(),
      &websocketpp::error::get_category(),
      &websocketpp::processor::error::get_processor_category(),
      &websocketpp::transport::error::get_category(),
      &websocketpp::transport::asio::error::get_category(),
      &websocketpp::transport::asio::socket::get_socket_category(),
  };
  (void)categories;
}

}  // namespace tether::transport
