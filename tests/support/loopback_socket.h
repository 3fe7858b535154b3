#pragma once
// Blocking TCP sockets on 127.0.0.1 for tests, on POSIX and Winsock alike:
// a listener that never answers, a port nothing listens on, and the line
// protocol of the server agent (server_agent.cpp). Tests only.
#include <cstdint>
#include <string>
#include <string_view>

namespace tether::test_support {

class LoopbackSocket {
 public:
  LoopbackSocket() = default;
  ~LoopbackSocket();
  LoopbackSocket(LoopbackSocket&& other) noexcept;
  LoopbackSocket& operator=(LoopbackSocket&& other) noexcept;
  LoopbackSocket(const LoopbackSocket&) = delete;
  LoopbackSocket& operator=(const LoopbackSocket&) = delete;

  // Bound to 127.0.0.1:`port` (0 = ephemeral) and listening. Invalid on failure.
  static LoopbackSocket listen_on(uint16_t port = 0);
  // Bound to an ephemeral port, not listening: a connect there is refused.
  static LoopbackSocket bound();
  // Connected to 127.0.0.1:`port`. Invalid on failure.
  static LoopbackSocket connect_to(uint16_t port);

  bool valid() const { return handle_ != kInvalid; }
  uint16_t local_port() const;
  void close();

  // The next client of a listener; invalid if none came within `timeout_ms`.
  LoopbackSocket accept_client(int timeout_ms);
  bool wait_readable(int timeout_ms);
  bool send_all(std::string_view bytes);
  // The next line without its '\n'; false on timeout, error or end of stream.
  bool read_line(std::string& line, int timeout_ms);

 private:
  // A SOCKET on Windows (an unsigned pointer-sized integer whose
  // INVALID_SOCKET is ~0), an fd elsewhere: either way -1 means none.
  using Handle = intptr_t;
  static constexpr Handle kInvalid = -1;
  explicit LoopbackSocket(Handle handle) : handle_(handle < 0 ? kInvalid : handle) {}
  static LoopbackSocket bound_to(uint16_t port);

  Handle handle_ = kInvalid;
  std::string pending_;  // bytes read past the last line
};

}  // namespace tether::test_support
