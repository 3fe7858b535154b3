#include "wire_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#ifndef MSG_NOSIGNAL  // macOS: no such flag; tests there ignore SIGPIPE instead
#define MSG_NOSIGNAL 0
#endif

namespace tether::test_support {

WireClient::WireClient(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  // Blocking connect: on loopback the kernel completes it without the server's help.
  const std::string request =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: tether.v1\r\n\r\n";
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()) ||
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

WireClient::~WireClient() {
  if (fd_ >= 0) ::close(fd_);
}

void WireClient::poll() {
  if (fd_ < 0 || peer_closed_) return;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got > 0) {
      input_.append(buffer, static_cast<size_t>(got));
      continue;
    }
    if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) peer_closed_ = true;
    break;
  }
  if (!upgraded_) {
    const size_t end = input_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    upgraded_ = input_.rfind("HTTP/1.1 101", 0) == 0;
    input_.erase(0, end + 4);
  }
  parse_frames();
}

// Server frames are unmasked; a payload length of 126/127 means 16/64-bit length.
void WireClient::parse_frames() {
  for (;;) {
    if (input_.size() < 2) return;
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(input_[i]); };
    const uint8_t opcode = byte(0) & 0x0f;
    uint64_t length = byte(1) & 0x7f;
    size_t header = 2;
    if (length == 126) {
      if (input_.size() < 4) return;
      length = (uint64_t{byte(2)} << 8) | byte(3);
      header = 4;
    } else if (length == 127) {
      if (input_.size() < 10) return;
      length = 0;
      for (size_t i = 2; i < 10; ++i) length = (length << 8) | byte(i);
      header = 10;
    }
    if (input_.size() < header + length) return;
    const std::string payload = input_.substr(header, static_cast<size_t>(length));
    input_.erase(0, header + static_cast<size_t>(length));
    if (opcode == kText) texts_.push_back(payload);
    if (opcode == kClose) {
      close_code_ = payload.size() >= 2
                        ? static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]))
                        : 1005;
    }
  }
}

bool WireClient::send_frame(uint8_t opcode, std::string_view payload) {
  if (fd_ < 0) return false;
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
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((uint64_t{payload.size()} >> shift) & 0xff));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) frame.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  size_t sent = 0;
  while (sent < frame.size()) {
    const ssize_t wrote = ::send(fd_, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (wrote < 0 && (errno == EAGAIN || errno == EINTR)) continue;  // small frames: the buffer drains at once
    if (wrote <= 0) return false;
    sent += static_cast<size_t>(wrote);
  }
  return true;
}

}  // namespace tether::test_support
