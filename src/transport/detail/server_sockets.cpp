#include "transport/detail/server_sockets.h"

namespace tether::transport::detail {

bool resolve_host(asio::io_context& io, const std::string& host, asio::ip::address& address, std::string& error) {
  asio::error_code ec;
  address = asio::ip::make_address(host, ec);
  if (!ec) return true;
  asio::ip::tcp::resolver resolver(io);
  const auto results = resolver.resolve(host, "", ec);  // blocking, but only for names
  if (ec || results.empty()) {
    error = "cannot resolve host \"" + host + "\": " + (ec ? ec.message() : "no address");
    return false;
  }
  address = results.begin()->endpoint().address();
  return true;
}

}  // namespace tether::transport::detail
