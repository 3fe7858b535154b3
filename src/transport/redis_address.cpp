// Redis URLs: "redis://IP[:PORT]", "redis://localhost", "unix:///path".
#include "transport/redis_client.h"

#include "transport/detail/asio_setup.h"

#include <asio/ip/address.hpp>
#include <asio/detail/socket_types.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

namespace tether::transport {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

// The longest unix socket path hiredis can connect to: it silently truncates longer ones.
#if defined(ASIO_HAS_LOCAL_SOCKETS)
constexpr size_t kMaxUnixPathBytes = sizeof(asio::detail::sockaddr_un_type{}.sun_path) - 1;
#endif

std::string parse_unix_url(std::string_view path, RedisAddress& out) {
#if defined(ASIO_HAS_LOCAL_SOCKETS)
  if (path.empty() || path.front() != '/') return "the unix socket path must be absolute (unix:///abs/path)";
  if (path.size() > kMaxUnixPathBytes) {
    return "the unix socket path is longer than " + std::to_string(kMaxUnixPathBytes) + " bytes";
  }
  if (path.find('\0') != std::string_view::npos) return "the unix socket path contains a NUL byte";
  out.unix_path = std::string(path);
  return {};
#else
  (void)path;
  (void)out;
  return "unix sockets are not supported on this platform";
#endif
}

std::string parse_tcp_url(std::string_view rest, RedisAddress& out) {
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (!path.empty() && path != "/" && path != "/0") {
    return "database numbers other than 0 are not supported (\"" + std::string(path) + "\")";
  }
  if (authority.find('@') != std::string_view::npos) return "user names and passwords in the URL are not supported";
  std::string_view host;
  std::optional<std::string_view> port_text;
  const bool bracketed = !authority.empty() && authority.front() == '[';
  if (bracketed) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return "unclosed '[' in the host";
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "expected \":PORT\" after ']'";
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != authority.rfind(':')) return "an IPv6 address must be in brackets: redis://[::1]:6379";
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return "the URL names no host";
  uint16_t port = 6379;
  if (port_text) {
    unsigned value = 0;
    const char* end = port_text->data() + port_text->size();
    const auto parsed = std::from_chars(port_text->data(), end, value);
    if (port_text->empty() || parsed.ec != std::errc() || parsed.ptr != end || value == 0 || value > 65535) {
      return "bad port \"" + std::string(*port_text) + "\" (expected 1..65535)";
    }
    port = static_cast<uint16_t>(value);
  }
  asio::error_code ec;
  std::string literal(host);
  if (!bracketed && iequals(host, "localhost")) {
    literal = "127.0.0.1";
  } else if (bracketed) {
    asio::ip::make_address_v6(literal, ec);
  } else {
    asio::ip::make_address_v4(literal, ec);
  }
  if (ec) {
    return "host \"" + literal + "\" is not an IP address (or localhost): hiredis would resolve a name " +
           "with a blocking lookup on the loop thread";
  }
  out.host = std::move(literal);
  out.port = port;
  return {};
}

}  // namespace

std::string parse_redis_url(std::string_view url, RedisAddress& out) {
  try {
    const size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
      return "expected redis://HOST[:PORT] or unix:///PATH, got \"" + std::string(url) + "\"";
    }
    const std::string_view scheme = url.substr(0, scheme_end);
    const std::string_view rest = url.substr(scheme_end + 3);
    RedisAddress parsed;
    std::string why;
    if (iequals(scheme, "unix") || iequals(scheme, "redis+unix")) {
      why = parse_unix_url(rest, parsed);
    } else if (iequals(scheme, "redis")) {
      why = parse_tcp_url(rest, parsed);
    } else {
      why = "unsupported scheme \"" + std::string(scheme) + "\" (redis://, unix:// or redis+unix://; no TLS)";
    }
    if (why.empty()) out = std::move(parsed);
    return why;
  } catch (...) {
    return "out of memory";
  }
}

std::string to_string(const RedisAddress& address) {
  if (!address.unix_path.empty()) return "unix://" + address.unix_path;
  const bool v6 = address.host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

}  // namespace tether::transport
