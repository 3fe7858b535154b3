#pragma once
// Socket-level helpers of the server role (ws_server.cpp): below websocketpp,
// on the connection's raw Asio socket.
#include "transport/detail/asio_setup.h"

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>

#include <string>

namespace tether::transport::detail {

// Closes the TCP socket under a websocketpp connection at once: no close
// handshake, nothing more read or written.
template <typename ConnectionPtr>
void drop_socket(const ConnectionPtr& connection) {
  asio::error_code ignored;
  connection->get_raw_socket().close(ignored);
}

// The peer's address as text; empty if the socket has none (already gone).
template <typename ConnectionPtr>
std::string remote_address_of(const ConnectionPtr& connection) {
  asio::error_code ec;
  asio::ip::address address = connection->get_raw_socket().remote_endpoint(ec).address();
  if (ec) return {};
  // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; report a.b.c.d.
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// The address to listen on: an IP literal, or a name resolved (blocking,
// once, at listen time). False with `error` set if it cannot be resolved.
bool resolve_host(asio::io_context& io, const std::string& host, asio::ip::address& address, std::string& error);

}  // namespace tether::transport::detail
