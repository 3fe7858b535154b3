// max_pending_event_bytes: its documented default and range through the C API.
// (What the limit does is tested against the real server in tests/client.)
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "capi_harness.h"
#include "tether/tether.h"

using namespace tether::capi_test;

TEST_CASE("max_pending_event_bytes defaults to 16 MiB and must be at least 64 KiB", "[capi]") {
  tether_config defaults;
  REQUIRE(tether_config_init(&defaults) == TETHER_OK);
  CHECK(defaults.max_pending_event_bytes == 16777216);

  tether_config config = test_config("ws://127.0.0.1:1", "token");
  config.max_pending_event_bytes = 65535;
  tether_client* client = nullptr;
  CHECK(tether_client_create(&config, &client) == TETHER_ERROR_INVALID_CONFIG);
  CHECK(client == nullptr);
  CHECK(std::string(tether_client_last_error(nullptr)).find("max_pending_event_bytes") != std::string::npos);

  for (uint64_t accepted : {uint64_t{65536}, uint64_t{1} << 40}) {
    config.max_pending_event_bytes = accepted;
    REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
    tether_client_destroy(client);
    client = nullptr;
  }
}
