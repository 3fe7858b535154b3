#include "loopback_socket.h"

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <chrono>
#include <utility>

namespace tether::test_support {

namespace {

#ifdef _WIN32
using NativeSocket = SOCKET;
using NativeLength = int;
int poll_one(WSAPOLLFD& entry, int timeout_ms) { return ::WSAPoll(&entry, 1, timeout_ms); }
using PollEntry = WSAPOLLFD;
void close_native(NativeSocket socket) { ::closesocket(socket); }
// Winsock needs WSAStartup once per process; never cleaned up (tests only).
bool ensure_started() {
  static const bool started = [] {
    WSADATA data;
    return ::WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  return started;
}
#else
using NativeSocket = int;
using NativeLength = socklen_t;
using PollEntry = pollfd;
int poll_one(pollfd& entry, int timeout_ms) { return ::poll(&entry, 1, timeout_ms); }
void close_native(NativeSocket socket) { ::close(socket); }
bool ensure_started() { return true; }
#endif

sockaddr_in loopback_address(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

NativeSocket native(intptr_t handle) { return static_cast<NativeSocket>(handle); }

bool wait_for(intptr_t handle, short events, int timeout_ms) {
  PollEntry entry{};
  entry.fd = native(handle);
  entry.events = events;
  return poll_one(entry, timeout_ms) == 1;
}

}  // namespace

LoopbackSocket::~LoopbackSocket() { close(); }

LoopbackSocket::LoopbackSocket(LoopbackSocket&& other) noexcept
    : handle_(std::exchange(other.handle_, kInvalid)), pending_(std::move(other.pending_)) {}

LoopbackSocket& LoopbackSocket::operator=(LoopbackSocket&& other) noexcept {
  if (this != &other) {
    close();
    handle_ = std::exchange(other.handle_, kInvalid);
    pending_ = std::move(other.pending_);
  }
  return *this;
}

void LoopbackSocket::close() {
  if (valid()) close_native(native(handle_));
  handle_ = kInvalid;
  pending_.clear();
}

LoopbackSocket LoopbackSocket::bound_to(uint16_t port) {
  if (!ensure_started()) return {};
  LoopbackSocket result(static_cast<Handle>(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)));
  if (!result.valid()) return {};
  const sockaddr_in address = loopback_address(port);
  if (::bind(native(result.handle_), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) return {};
  return result;
}

LoopbackSocket LoopbackSocket::bound() { return bound_to(0); }

LoopbackSocket LoopbackSocket::listen_on(uint16_t port) {
  LoopbackSocket result = bound_to(port);
  if (!result.valid() || ::listen(native(result.handle_), 16) != 0) return {};
  return result;
}

LoopbackSocket LoopbackSocket::connect_to(uint16_t port) {
  if (!ensure_started()) return {};
  LoopbackSocket result(static_cast<Handle>(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)));
  if (!result.valid()) return {};
  const sockaddr_in address = loopback_address(port);
  if (::connect(native(result.handle_), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) return {};
  return result;
}

uint16_t LoopbackSocket::local_port() const {
  sockaddr_in address{};
  NativeLength length = sizeof(address);
  if (!valid() || ::getsockname(native(handle_), reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  return ntohs(address.sin_port);
}

LoopbackSocket LoopbackSocket::accept_client(int timeout_ms) {
  if (!valid() || !wait_for(handle_, POLLIN, timeout_ms)) return {};
  return LoopbackSocket(static_cast<Handle>(::accept(native(handle_), nullptr, nullptr)));
}

bool LoopbackSocket::wait_readable(int timeout_ms) {
  return valid() && (!pending_.empty() || wait_for(handle_, POLLIN, timeout_ms));
}

bool LoopbackSocket::send_all(std::string_view bytes) {
  while (valid() && !bytes.empty()) {
    const int chunk = static_cast<int>(bytes.size() > (1u << 20) ? (1u << 20) : bytes.size());
    const auto sent = ::send(native(handle_), bytes.data(), chunk, 0);
    if (sent <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
  return valid();
}

bool LoopbackSocket::read_line(std::string& line, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      line.assign(pending_, 0, newline);
      pending_.erase(0, newline + 1);
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (!valid() || left <= 0 || !wait_for(handle_, POLLIN, static_cast<int>(left))) return false;
    char buffer[4096];
    const auto got = ::recv(native(handle_), buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    pending_.append(buffer, static_cast<size_t>(got));
  }
}

}  // namespace tether::test_support
