#pragma once
// The websocketpp configurations Tether instantiates: client and server, each
// plain and TLS. Include only from the one .cpp that instantiates each role;
// these templates are expensive to compile.
#include "transport/detail/asio_setup.h"

#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/core.hpp>
#include <websocketpp/config/core_client.hpp>
#include <websocketpp/logger/basic.hpp>
#include <websocketpp/transport/asio/endpoint.hpp>
#include <websocketpp/transport/asio/security/none.hpp>
#include <websocketpp/transport/asio/security/tls.hpp>

#include <openssl/rand.h>

#include <cstddef>
#include <cstdint>
#include <random>

namespace tether::transport::detail {

// Client frames are masked with keys that must be unpredictable (RFC 6455
// 5.3). websocketpp's default asks std::random_device for every frame, which
// costs tens of microseconds per call on some virtual machines; this takes
// them from OpenSSL's CSPRNG, a block at a time.
class MaskingKeyGenerator {
 public:
  uint32_t operator()() {
    if (next_ == kKeysPerBlock) refill();
    return keys_[next_++];
  }

 private:
  static constexpr std::size_t kKeysPerBlock = 64;

  void refill() {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(keys_), sizeof keys_) != 1) {
      std::random_device fallback;
      for (uint32_t& key : keys_) key = fallback();
    }
    next_ = 0;
  }

  uint32_t keys_[kKeysPerBlock] = {};
  std::size_t next_ = kKeysPerBlock;
};

// Everything runs on one EventLoop thread, so no locks and no strands.
// websocketpp's own logging is compiled out: outcomes are reported through
// CloseInfo instead. websocketpp's timeouts are backstops; each connection's
// own deadline (ClientConnectOptions::connect_timeout_ms) normally fires first.
//
// ReadBufferBytes is each connection's read buffer, an array inside
// websocketpp's connection object, so it is allocated for every connection
// for its whole life. A client has a few connections and reads bursts of
// fan-out, so it keeps websocketpp's 16 KB. A server holds thousands, each
// sending small frames, so it reads 1 KB at a time: a larger message just
// takes more reads. At 16 KB this was most of an idle connection's server
// memory; 4 KB -> 1 KB saved 3 KB a connection, and tether-bench's 1 KB and
// 8 KB echoes showed no difference beyond run-to-run noise (the read is not
// where the time goes). websocketpp's connection object is still about 4.8 KB
// without it, 2 KB of which are two fixed 1 KB handler allocators.
template <typename Core, typename SocketPolicy, std::size_t ReadBufferBytes>
struct WsConfig : Core {
  using type = WsConfig;
  using concurrency_type = websocketpp::concurrency::none;
  using elog_type = websocketpp::log::basic<concurrency_type, websocketpp::log::elevel>;
  using alog_type = websocketpp::log::basic<concurrency_type, websocketpp::log::alevel>;
  using rng_type = MaskingKeyGenerator;

  static const bool enable_multithreading = false;
  static const websocketpp::log::level elog_level = websocketpp::log::elevel::none;
  static const websocketpp::log::level alog_level = websocketpp::log::alevel::none;
  static const long timeout_open_handshake = 15000;
  static const long timeout_close_handshake = 5000;
  static const std::size_t connection_read_buffer_size = ReadBufferBytes;

  struct transport_config : Core::transport_config {
    using concurrency_type = WsConfig::concurrency_type;
    using elog_type = WsConfig::elog_type;
    using alog_type = WsConfig::alog_type;
    using socket_type = SocketPolicy;

    static const bool enable_multithreading = false;
    static const long timeout_socket_pre_init = 15000;
    static const long timeout_proxy = 15000;
    static const long timeout_socket_post_init = 15000;  // the TLS handshake
    static const long timeout_dns_resolve = 15000;
    static const long timeout_connect = 15000;
    // How long a TLS close waits for the peer's close_notify.
    static const long timeout_socket_shutdown = 2000;
  };

  using transport_type = websocketpp::transport::asio::endpoint<transport_config>;
};

using PlainSocket = websocketpp::transport::asio::basic_socket::endpoint;
using TlsSocket = websocketpp::transport::asio::tls_socket::endpoint;

constexpr std::size_t kClientReadBufferBytes = 16384;
constexpr std::size_t kServerReadBufferBytes = 1024;

using PlainClientConfig = WsConfig<websocketpp::config::core_client, PlainSocket, kClientReadBufferBytes>;
using TlsClientConfig = WsConfig<websocketpp::config::core_client, TlsSocket, kClientReadBufferBytes>;
using PlainServerConfig = WsConfig<websocketpp::config::core, PlainSocket, kServerReadBufferBytes>;
using TlsServerConfig = WsConfig<websocketpp::config::core, TlsSocket, kServerReadBufferBytes>;

}  // namespace tether::transport::detail
