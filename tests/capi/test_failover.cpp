// The C API's promise about `url` and `urls` (tether.h, tether_config): each
// pool connection starts on entry i % count and moves on to the next entry
// when it reconnects by itself; tether_stats.url_index says where it is.
#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <string>

#include "capi_harness.h"
#include "capi_server.h"
#include "dead_port.h"
#include "tether/tether.h"

using namespace tether::capi_test;

namespace {

tether_stats stats_of(const TestClient& client, uint32_t index) {
  tether_stats stats{};
  stats.struct_size = sizeof(stats);
  REQUIRE(tether_client_connection_stats(client.handle(), index, &stats) == TETHER_OK);
  return stats;
}

}  // namespace

TEST_CASE("a dead `url` and a live urls[0]: both pool connections end READY on entry 1, as url_index says",
          "[capi][integration]") {
  RunningServer s;
  const std::string dead = tether::test_support::dead_url();
  REQUIRE(!dead.empty());
  const std::string live = s.server.url();
  const std::string token = mint_token("failover");
  const char* const urls[] = {live.c_str()};
  tether_config config = test_config(dead.c_str(), token.c_str());
  config.urls = urls;
  config.url_count = 1;
  config.pool_size = 2;
  TestClient client(config);
  CHECK(stats_of(client, 0).url_index == 0);  // i % count, before any attempt
  CHECK(stats_of(client, 1).url_index == 1);
  REQUIRE(tether_client_connect(client.handle()) == TETHER_OK);
  REQUIRE(client.pump_until([&] { return client.count_state(TETHER_STATE_READY) == 2; }));

  // Connection 0 failed once on `url`, then moved on; connection 1 started on urls[0].
  CHECK(client.find(TETHER_EVENT_STATE_CHANGED, [](const RecordedEvent& e) {
    return e.connection == 0 && e.state == TETHER_STATE_RECONNECTING;
  }) != nullptr);
  CHECK(client.find(TETHER_EVENT_STATE_CHANGED, [](const RecordedEvent& e) {
    return e.connection == 1 && e.state == TETHER_STATE_RECONNECTING;
  }) == nullptr);
  CHECK(stats_of(client, 0).url_index == 1);
  CHECK(stats_of(client, 1).url_index == 1);
  tether_stats pool{};
  pool.struct_size = sizeof(pool);
  REQUIRE(tether_client_pool_stats(client.handle(), &pool) == TETHER_OK);
  CHECK(pool.state == TETHER_STATE_READY);
  CHECK(pool.url_index == 1);

  // A caller whose tether_stats ends before url_index never has it written.
  unsigned char buffer[sizeof(tether_stats)];
  std::memset(buffer, 0xAB, sizeof(buffer));
  const uint32_t old_size = offsetof(tether_stats, url_index);
  std::memcpy(buffer, &old_size, sizeof(old_size));
  REQUIRE(tether_client_connection_stats(client.handle(), 0, reinterpret_cast<tether_stats*>(buffer)) == TETHER_OK);
  size_t untouched = 0;
  for (size_t i = old_size; i < sizeof(buffer); ++i) untouched += buffer[i] == 0xAB ? 1 : 0;
  CHECK(untouched == sizeof(buffer) - old_size);
}
