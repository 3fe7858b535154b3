#include "raw_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#ifndef MSG_NOSIGNAL  // macOS: no such flag; tests there ignore SIGPIPE instead
#define MSG_NOSIGNAL 0
#endif

namespace tether::transport::test {

RawSocket::RawSocket(uint16_t port, int receive_buffer_bytes) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
  }
  // Without it, a peer that cannot write to us (we do not read) only acks our
  // frames after its delayed-ack timer, and Nagle holds each frame until then.
  const int no_delay = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &no_delay, sizeof no_delay);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  // Blocking connect: on loopback the kernel completes it without the server's help.
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

size_t RawSocket::send_some(std::string_view bytes) {
  if (fd_ < 0) return 0;
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t wrote = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (wrote > 0) {
      sent += static_cast<size_t>(wrote);
      continue;
    }
    if (wrote < 0 && errno == EINTR) continue;
    break;  // full (EAGAIN) or gone
  }
  return sent;
}

bool RawSocket::send_all(std::string_view bytes, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!bytes.empty()) {
    bytes.remove_prefix(send_some(bytes));
    if (bytes.empty()) break;
    if (fd_ < 0 || std::chrono::steady_clock::now() >= deadline) return false;
    pollfd writable{fd_, POLLOUT, 0};
    ::poll(&writable, 1, 10);
    if ((writable.revents & (POLLERR | POLLHUP)) != 0) return false;
  }
  return true;
}

bool RawSocket::poll() {
  if (fd_ < 0 || peer_closed_) return false;
  char buffer[16384];
  for (;;) {
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got > 0) {
      input_.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) peer_closed_ = true;
    break;
  }
  return !peer_closed_;
}

int RawSocket::status() const {
  if (!response_complete() || input_.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(input_.c_str() + 9);
}

std::string RawSocket::header(std::string_view name) const {
  const size_t end = input_.find("\r\n\r\n");
  if (end == std::string::npos) return {};
  size_t line = input_.find("\r\n") + 2;
  while (line < end) {
    const size_t next = input_.find("\r\n", line);
    const std::string text = input_.substr(line, next - line);
    const size_t colon = text.find(':');
    if (colon == name.size() && ::strncasecmp(text.c_str(), std::string(name).c_str(), name.size()) == 0) {
      const size_t value = text.find_first_not_of(' ', colon + 1);
      return value == std::string::npos ? std::string() : text.substr(value);
    }
    line = next + 2;
  }
  return {};
}

std::vector<RawSocket::Frame> RawSocket::frames() const {
  std::vector<Frame> out;
  const size_t end = input_.find("\r\n\r\n");
  if (end == std::string::npos || status() != 101) return out;
  size_t at = end + 4;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(input_[i]); };
  while (input_.size() >= at + 2) {
    uint64_t length = byte(at + 1) & 0x7f;
    size_t header = 2;
    if (length == 126) {
      if (input_.size() < at + 4) break;
      length = (uint64_t{byte(at + 2)} << 8) | byte(at + 3);
      header = 4;
    } else if (length == 127) {
      if (input_.size() < at + 10) break;
      length = 0;
      for (size_t i = 2; i < 10; ++i) length = (length << 8) | byte(at + i);
      header = 10;
    }
    if (input_.size() < at + header + length) break;
    out.push_back({static_cast<uint8_t>(byte(at) & 0x0f), input_.substr(at + header, static_cast<size_t>(length))});
    at += header + static_cast<size_t>(length);
  }
  return out;
}

std::vector<std::string> RawSocket::texts() const {
  std::vector<std::string> out;
  for (Frame& frame : frames()) {
    if (frame.opcode == kText) out.push_back(std::move(frame.payload));
  }
  return out;
}

uint16_t RawSocket::close_code() const {
  for (const Frame& frame : frames()) {
    if (frame.opcode != 0x8) continue;
    if (frame.payload.size() < 2) return 1005;
    return static_cast<uint16_t>((static_cast<uint8_t>(frame.payload[0]) << 8) |
                                 static_cast<uint8_t>(frame.payload[1]));
  }
  return 0;
}

std::string RawSocket::close_reason() const {
  for (const Frame& frame : frames()) {
    if (frame.opcode == 0x8) return frame.payload.size() > 2 ? frame.payload.substr(2) : std::string();
  }
  return {};
}

std::string RawSocket::upgrade_request(uint16_t port, std::string_view headers) {
  return "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + std::string(headers) + "\r\n";
}

std::string RawSocket::rfc6455_request(uint16_t port) {
  return upgrade_request(port,
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Protocol: tether.v1\r\n");
}

std::string RawSocket::masked_frame(uint8_t opcode, std::string_view payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xffff) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      frame.push_back(static_cast<char>((uint64_t{payload.size()} >> shift) & 0xff));
    }
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return frame;
}

}  // namespace tether::transport::test
