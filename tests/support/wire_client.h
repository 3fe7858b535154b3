#pragma once
// A WebSocket client written by hand over a POSIX socket (tests only), for
// bytes the real client refuses to send: invalid UTF-8 in a text frame, binary
// frames. Reads are non-blocking, so the server may run on the same loop:
//
//   WireClient wire(port);
//   REQUIRE(run_until(loop, [&] { wire.poll(); return wire.upgraded(); }));
//   wire.send_frame(WireClient::kText, "\xff\xfe");
//   REQUIRE(run_until(loop, [&] { wire.poll(); return wire.close_code() != 0; }));
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tether::test_support {

class WireClient {
 public:
  static constexpr uint8_t kText = 0x1;
  static constexpr uint8_t kBinary = 0x2;
  static constexpr uint8_t kClose = 0x8;

  // Connects to 127.0.0.1:`port` and sends the upgrade request, offering "tether.v1".
  explicit WireClient(uint16_t port);
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Reads whatever has arrived, without blocking.
  void poll();
  bool upgraded() const { return upgraded_; }  // the server answered 101
  // One masked frame with FIN set. False if the socket is gone.
  bool send_frame(uint8_t opcode, std::string_view payload);

  uint16_t close_code() const { return close_code_; }  // from the server's close frame; 0 before
  bool peer_closed() const { return peer_closed_; }     // the server closed TCP
  const std::vector<std::string>& texts() const { return texts_; }

 private:
  void parse_frames();

  int fd_ = -1;
  bool upgraded_ = false;
  bool peer_closed_ = false;
  uint16_t close_code_ = 0;
  std::string input_;
  std::vector<std::string> texts_;
};

}  // namespace tether::test_support
