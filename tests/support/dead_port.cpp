#include "dead_port.h"

#include "loopback_socket.h"

namespace tether::test_support {

std::string dead_url() {
  const uint16_t port = LoopbackSocket::bound().local_port();  // closed again at once
  return port != 0 ? "ws://127.0.0.1:" + std::to_string(port) : std::string();
}

}  // namespace tether::test_support
