// destroy() never waits for DNS: host names are looked up on detached
// threads, and a result that arrives after destroy is dropped. The DNS server
// that never answers is stalled_lookup.h's getaddrinfo.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "capi_harness.h"
#include "capi_server.h"
#include "stalled_lookup.h"
#include "tether/tether.h"

using namespace tether::capi_test;
using tether::test::StalledLookups;


TEST_CASE("destroy is quick while host name lookups do not answer", "[capi][dns]") {
  const uint32_t pool_size = GENERATE(1u, 4u);
  INFO("pool_size " << pool_size);
  StalledLookups stall;
  tether_config config = test_config("wss://game.stall.tether.test/ws", "token");
  config.pool_size = pool_size;  // one lookup per connection, all stalled at once
  tether_client* client = nullptr;
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  REQUIRE(tether_client_connect(client) == TETHER_OK);
  REQUIRE(stall.wait_entered(static_cast<int>(pool_size), kDeadlineMs));

  // Before: ~io_context joined Asio's resolver thread, stuck in getaddrinfo
  // until the stall gave up (kStallLimitMs).
  CHECK(timed_destroy(client) < kQuickMs);
  CHECK(tether_client_pump(client) == TETHER_ERROR_INVALID_HANDLE);
  // The answers now arrive for a client that is gone: dropped, not delivered.
  stall.release();
  CHECK(stall.wait_all_returned(kDeadlineMs));
}

TEST_CASE("a lookup that fails or gives up is reported as dns_failed, then retried", "[capi][dns]") {
  StalledLookups stall;
  for (const char* url : {"ws://nowhere.fail.tether.test:9", "ws://slow.stall.tether.test:9"}) {
    INFO(url);
    TestClient client(url, "token");
    REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
    // The stalled one gives up when released, as a resolver timing out would.
    stall.release();
    REQUIRE(client.pump_until([&] { return client.count(TETHER_EVENT_TRANSPORT_ERROR) >= 1; }));
    CHECK(client.find(TETHER_EVENT_TRANSPORT_ERROR)->code == "dns_failed");
    REQUIRE(client.wait_state(TETHER_STATE_RECONNECTING));
    const RecordedEvent* reconnecting = client.find(TETHER_EVENT_STATE_CHANGED, [](const RecordedEvent& e) {
      return e.state == TETHER_STATE_RECONNECTING;
    });
    REQUIRE(reconnecting != nullptr);
    CHECK(reconnecting->close_initiator == TETHER_CLOSED_BY_TRANSPORT);
  }
}

TEST_CASE("a host name is looked up off the io thread and the client connects", "[capi][dns][integration]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  // "localhost" is a name, not an IP literal: it takes the lookup thread.
  TestClient client("ws://localhost:" + std::to_string(server.port()), mint_token("alice"));
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  CHECK(client.wait_state(TETHER_STATE_READY));
}
