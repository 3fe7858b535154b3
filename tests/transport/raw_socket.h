#pragma once
// A TCP connection to 127.0.0.1 driven byte by byte (POSIX; tests only), for
// what no WebSocket client sends: legacy handshakes, request bodies, and a
// client that stops reading its socket. Nothing blocks: a test polls it from
// run_until(), so the server may run on the same EventLoop. The server tests
// use it too.
//
//   RawSocket raw(port, 4096);                 // small receive buffer
//   raw.send_all(RawSocket::upgrade_request(port, "Sec-WebSocket-Version: 13\r\n..."));
//   REQUIRE(run_until(loop, [&] { raw.poll(); return raw.response_complete(); }));
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tether::transport::test {

class RawSocket {
 public:
  // `receive_buffer_bytes` > 0 shrinks the kernel's receive buffer before
  // connecting, so less of what the server writes hides in the kernel.
  explicit RawSocket(uint16_t port, int receive_buffer_bytes = 0);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Writes what the socket takes now; returns how many bytes (0 once it is gone).
  size_t send_some(std::string_view bytes);
  // Writes everything, polling until `timeout_ms` (for small writes).
  bool send_all(std::string_view bytes, int64_t timeout_ms = 5000);
  // Reads what has arrived. Returns false once the peer has closed or reset.
  bool poll();
  bool peer_closed() const { return peer_closed_; }
  const std::string& input() const { return input_; }

  // The HTTP response, once its header block is complete.
  bool response_complete() const { return input_.find("\r\n\r\n") != std::string::npos; }
  int status() const;                          // 0 before a complete response
  std::string header(std::string_view name) const;  // "" if absent; name case-insensitive

  // WebSocket frames the server sent after a 101 (unmasked).
  std::vector<std::string> texts() const;
  uint16_t close_code() const;     // 0 before a close frame
  std::string close_reason() const;  // "" before a close frame

  // A GET upgrade request for 127.0.0.1:`port`; `headers` are extra lines,
  // each ending in \r\n (the version, key, subprotocol ...).
  static std::string upgrade_request(uint16_t port, std::string_view headers);
  // An RFC 6455 request offering tether.v1.
  static std::string rfc6455_request(uint16_t port);
  // One masked client frame with FIN set.
  static std::string masked_frame(uint8_t opcode, std::string_view payload);
  static constexpr uint8_t kText = 0x1;
  static constexpr uint8_t kBinary = 0x2;
  static constexpr uint8_t kPing = 0x9;

 private:
  struct Frame {
    uint8_t opcode;
    std::string payload;
  };
  std::vector<Frame> frames() const;

  int fd_ = -1;
  bool peer_closed_ = false;
  std::string input_;
};

}  // namespace tether::transport::test
