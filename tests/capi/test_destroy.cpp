// destroy() is quick from every state, and legal right after any event.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "capi_harness.h"
#include "capi_server.h"
#include "loopback_socket.h"
#include "tether/tether.h"

using namespace tether::capi_test;
using tether::test_support::LoopbackSocket;

namespace {

// A TCP port whose listener never accepts: the kernel completes the TCP
// handshake, so a client hangs in the WebSocket handshake (CONNECTING).
class SilentPort {
 public:
  SilentPort() : listener_(LoopbackSocket::listen_on()) { REQUIRE(listener_.valid()); }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(listener_.local_port()); }

  // Accepts the first client and waits until it has sent something (for
  // wss, its TLS ClientHello), which then stays unanswered.
  bool wait_for_client_bytes(int timeout_ms) {
    peer_ = listener_.accept_client(timeout_ms);
    return peer_.wait_readable(timeout_ms);
  }

 private:
  LoopbackSocket listener_;
  LoopbackSocket peer_;
};

}  // namespace

TEST_CASE("destroy is quick while connecting", "[capi]") {
  SilentPort silent;
  const std::string url = silent.url();
  tether_config config = test_config(url.c_str(), "token");
  tether_client* client = nullptr;
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  REQUIRE(tether_client_connect(client) == TETHER_OK);
  tether_stats stats{};
  stats.struct_size = sizeof(stats);
  REQUIRE(tether_client_pool_stats(client, &stats) == TETHER_OK);
  CHECK(stats.state == TETHER_STATE_CONNECTING);
  CHECK(timed_destroy(client) < kQuickMs);
}

TEST_CASE("destroy is quick while the TLS handshake gets no answer", "[capi]") {
  SilentPort silent;  // accepts TCP (in the kernel), never answers the ClientHello
  const std::string url = "wss" + silent.url().substr(2);
  tether_config config = test_config(url.c_str(), "token");
  tether_client* client = nullptr;
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  REQUIRE(tether_client_connect(client) == TETHER_OK);
  REQUIRE(silent.wait_for_client_bytes(static_cast<int>(kDeadlineMs)));  // the handshake has begun
  CHECK(timed_destroy(client) < kQuickMs);
}

TEST_CASE("destroy is quick while waiting to reconnect to an unreachable port", "[capi]") {
  tether_config config = test_config("ws://127.0.0.1:1", "token");
  config.backoff_initial_ms = 60000;  // a long wait the destroy must not sit out
  config.backoff_max_ms = 60000;
  config.backoff_jitter = TETHER_JITTER_NONE;
  TestClient probe(config);  // reads the state through events, then hands over the handle
  REQUIRE(tether_client_connect(probe.handle()) == TETHER_OK);
  REQUIRE(probe.wait_state(TETHER_STATE_RECONNECTING));
  tether_client* handle = probe.handle();
  CHECK(timed_destroy(handle) < kQuickMs);
  CHECK(tether_client_pump(handle) == TETHER_ERROR_INVALID_HANDLE);
}  // ~TestClient destroys the dead handle again: a no-op

TEST_CASE("destroy is quick when open, even right after an event", "[capi][integration]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  const std::string token = mint_token("alice");
  const std::string url = server.url();
  tether_config config = test_config(url.c_str(), token.c_str());
  tether_client* client = nullptr;
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  REQUIRE(tether_client_subscribe(client, "room:1") == TETHER_OK);
  REQUIRE(tether_client_connect(client) == TETHER_OK);

  // Reacts to each event with more calls, and destroys from inside the loop
  // as soon as the client is ready, with unacked sends in flight.
  int64_t destroy_ms = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (destroy_ms < 0 && std::chrono::steady_clock::now() < deadline) {
    const int32_t count = tether_client_pump(client);
    for (int32_t i = 0; i < count && destroy_ms < 0; ++i) {
      const tether_event* event = tether_client_event(client, static_cast<uint32_t>(i));
      REQUIRE(event != nullptr);
      CHECK(tether_client_send(client, "room:1", "{}", 2, TETHER_SEND_RELIABLE, nullptr) == TETHER_OK);
      if (event->type == TETHER_EVENT_STATE_CHANGED && event->state == TETHER_STATE_READY) {
        destroy_ms = timed_destroy(client);
      }
    }
  }
  CHECK(destroy_ms >= 0);
  CHECK(destroy_ms < kQuickMs);
}
