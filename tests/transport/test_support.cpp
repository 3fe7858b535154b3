#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>

namespace tether::transport::test {

namespace {

constexpr int64_t kTickMs = 5;

int bind_loopback(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

bool run_until(EventLoop& loop, const std::function<bool()>& done, int64_t timeout_ms) {
  TimerId ticker = kNoTimer;
  std::function<void()> tick = [&] { ticker = loop.set_timer(kTickMs, tick); };
  ticker = loop.set_timer(kTickMs, tick);
  const bool result = loop.run_until(done, timeout_ms);
  loop.cancel_timer(ticker);
  return result;
}

ClientLog::~ClientLog() { CHECK(repeated_closes == 0); }

ClientHandlers ClientLog::handlers() {
  ClientHandlers handlers;
  handlers.on_open = [this](ConnectionId id) { opened.push_back(id); };
  handlers.on_text = [this](ConnectionId, std::string_view text) { texts.emplace_back(text); };
  handlers.on_closed = [this](ConnectionId id, const CloseInfo& info) {
    if (!closed.emplace(id, info).second) ++repeated_closes;
  };
  return handlers;
}

bool ClientLog::is_open(ConnectionId id) const {
  for (ConnectionId opened_id : opened) {
    if (opened_id == id) return !is_closed(id);
  }
  return false;
}

ServerLog::~ServerLog() { CHECK(repeated_closes == 0); }

ServerHandlers ServerLog::handlers(std::function<void(ConnectionId, std::string_view)> on_text) {
  ServerHandlers handlers;
  handlers.on_open = [this](ConnectionId id, std::string_view address) {
    opened.emplace_back(id, std::string(address));
  };
  handlers.on_text = [this, on_text](ConnectionId id, std::string_view text) {
    texts.emplace_back(text);
    if (on_text) on_text(id, text);
  };
  handlers.on_closed = [this](ConnectionId id, const CloseInfo& info) {
    if (!closed.emplace(id, info).second) ++repeated_closes;
  };
  return handlers;
}

ServerListenOptions echo_options() {
  ServerListenOptions options;
  options.subprotocol = "tether.v1";
  return options;
}

EchoServer::EchoServer(EventLoop& loop, ServerListenOptions options)
    : server(loop, log.handlers([this](ConnectionId id, std::string_view text) { server.send_text(id, text); })) {
  options.host = "127.0.0.1";
  options.port = 0;
  secure = !options.tls_cert_file.empty();
  const ListenResult result = server.listen(options);
  INFO(result.detail);
  REQUIRE(result.ok());
  REQUIRE(result.port != 0);
  port = result.port;
}

std::string EchoServer::url(const std::string& host) const {
  return std::string(secure ? "wss://" : "ws://") + host + ":" + std::to_string(port) + "/";
}

ConnectionId EchoServer::only_connection() const {
  ConnectionId found = kNoConnection;
  for (const auto& [id, address] : log.opened) {
    if (log.closed.count(id) == 0) {
      REQUIRE(found == kNoConnection);
      found = id;
    }
  }
  REQUIRE(found != kNoConnection);
  return found;
}

ClientConnectOptions options_for(const std::string& url) {
  ClientConnectOptions options;
  options.url = url;
  options.subprotocols = {"tether.v1"};
  return options;
}

SilentListener::SilentListener() {
  listener_ = bind_loopback(port_);
  REQUIRE(::listen(listener_, 16) == 0);
  REQUIRE(::fcntl(listener_, F_SETFL, O_NONBLOCK) == 0);
}

SilentListener::~SilentListener() {
  for (int peer : peers_) ::close(peer);
  if (listener_ >= 0) ::close(listener_);
}

void SilentListener::accept_pending() {
  for (;;) {
    const int peer = ::accept(listener_, nullptr, nullptr);
    if (peer < 0) return;
    ::fcntl(peer, F_SETFL, O_NONBLOCK);
    peers_.push_back(peer);
    peer_sent_.push_back(false);
    peer_closed_.push_back(false);
  }
}

bool SilentListener::peers_sent_data(std::size_t count) {
  accept_pending();
  std::size_t sent = 0;
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    char byte = 0;
    if (!peer_sent_[i] && ::recv(peers_[i], &byte, 1, MSG_PEEK) > 0) peer_sent_[i] = true;
    if (peer_sent_[i]) ++sent;
  }
  return sent >= count;
}

bool SilentListener::peers_closed() {
  accept_pending();
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    char buffer[4096];
    while (!peer_closed_[i]) {
      const ssize_t received = ::recv(peers_[i], buffer, sizeof buffer, 0);
      if (received > 0 || (received < 0 && errno == EINTR)) continue;  // drain handshake bytes
      if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      peer_closed_[i] = true;  // EOF or reset
    }
    if (!peer_closed_[i]) return false;
  }
  return true;
}

uint16_t closed_port() {
  uint16_t port = 0;
  ::close(bind_loopback(port));
  return port;
}

}  // namespace tether::transport::test
