// tether_config: documented defaults, and a specific INVALID_CONFIG with a
// message for each family of bad fields.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>

#include "capi_harness.h"
#include "tether/tether.h"

using namespace tether::capi_test;

TEST_CASE("tether_config_init sets the documented defaults", "[capi]") {
  tether_config c;
  std::memset(&c, 0xAB, sizeof(c));
  REQUIRE(tether_config_init(&c) == TETHER_OK);
  CHECK(c.struct_size == sizeof(tether_config));
  CHECK(c.url == nullptr);
  CHECK(c.urls == nullptr);
  CHECK(c.url_count == 0);
  CHECK(c.pool_size == 1);
  CHECK(c.balance_strategy == TETHER_BALANCE_STICKY_CHANNEL);
  CHECK(c.backoff_initial_ms == 500);
  CHECK(c.backoff_max_ms == 30000);
  CHECK(c.backoff_decay == 1.5);
  CHECK(c.backoff_stable_ms == 5000);
  CHECK(c.backoff_jitter == TETHER_JITTER_FULL);
  CHECK(c.backoff_max_attempts == 10);
  CHECK(c.connect_timeout_ms == 10000);
  CHECK(c.heartbeat_interval_ms == 15000);
  CHECK(c.heartbeat_timeout_ms == 5000);
  CHECK(c.ack_timeout_ms == 5000);
  CHECK(c.ack_max_retries == 5);
  CHECK(c.max_in_flight == 1024);
  CHECK(c.queue_max_messages == 4096);
  CHECK(c.queue_max_bytes == 4194304);
  CHECK(c.receive_window == 4096);
  CHECK(c.max_message_bytes == 1048576);
  CHECK(c.token == nullptr);
  CHECK(c.tls_ca_file == nullptr);
  CHECK(c.tls_ca_pem == nullptr);
  CHECK(c.tls_pins == nullptr);
  CHECK(c.tls_pin_count == 0);
  CHECK(c.tls_verify_peer == 1);
  CHECK(c.auth_timeout_ms == 10000);
  CHECK(c.refresh_lead_ms == 60000);
  CHECK(c.refresh_timeout_ms == 10000);
  CHECK(c.max_pending_events == 65536);
  CHECK(c.seed == 0);
  CHECK(c.log_level == TETHER_LOG_WARN);
  CHECK(c.io_mode == TETHER_IO_THREAD);
}

namespace {

struct BadConfig {
  const char* name;
  std::function<void(tether_config&)> spoil;
  const char* expected_text;  // a substring of tether_client_last_error(NULL)
};

const char* const kNullEntry[] = {"ws://127.0.0.1:1", nullptr};
// Base64 of 31 bytes, and a valid-looking pin with a character outside base64.
const char* const kShortPin[] = {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="};
const char* const kBadCharPin[] = {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*="};
constexpr int64_t kOverMaxMs = 604800001;  // one past the documented 7-day maximum

}  // namespace

TEST_CASE("invalid configs fail with INVALID_CONFIG and say why", "[capi]") {
  const BadConfig cases[] = {
      {"no url", [](tether_config& c) { c.url = nullptr; }, "at least one url"},
      {"http url", [](tether_config& c) { c.url = "http://example.com"; }, "ws:// or wss://"},
      {"urls NULL", [](tether_config& c) { c.url_count = 2; }, "urls is NULL"},
      {"urls entry NULL", [](tether_config& c) { c.urls = kNullEntry, c.url_count = 2; }, "NULL entry"},
      {"pool empty", [](tether_config& c) { c.pool_size = 0; }, "pool size"},
      {"pool too big", [](tether_config& c) { c.pool_size = 65; }, "pool size"},
      {"strategy", [](tether_config& c) { c.balance_strategy = 9; }, "balance_strategy"},
      {"backoff initial", [](tether_config& c) { c.backoff_initial_ms = 0; }, "backoff initial"},
      {"backoff max", [](tether_config& c) { c.backoff_max_ms = c.backoff_initial_ms - 1; }, "backoff max"},
      {"backoff decay", [](tether_config& c) { c.backoff_decay = 0.5; }, "decay"},
      {"backoff decay NaN", [](tether_config& c) { c.backoff_decay = std::nan(""); }, "decay"},
      {"backoff jitter", [](tether_config& c) { c.backoff_jitter = 3; }, "backoff_jitter"},
      {"backoff stable", [](tether_config& c) { c.backoff_stable_ms = -1; }, "stable"},
      {"connect timeout", [](tether_config& c) { c.connect_timeout_ms = 0; }, "connect timeout"},
      {"heartbeat interval", [](tether_config& c) { c.heartbeat_interval_ms = 0; }, "heartbeat interval"},
      {"heartbeat timeout >= interval",
       [](tether_config& c) { c.heartbeat_timeout_ms = c.heartbeat_interval_ms; },
       "heartbeat timeout must be < heartbeat interval"},
      {"ack timeout", [](tether_config& c) { c.ack_timeout_ms = 0; }, "ack timeout"},
      {"in flight", [](tether_config& c) { c.max_in_flight = 0; }, "in-flight"},
      {"queue messages", [](tether_config& c) { c.queue_max_messages = 0; }, "queue message limit"},
      {"queue bytes", [](tether_config& c) { c.queue_max_bytes = 0; }, "queue byte limit"},
      {"receive window", [](tether_config& c) { c.receive_window = 0; }, "receive window"},
      {"message size", [](tether_config& c) { c.max_message_bytes = 1000; }, "max message size"},
      {"pins NULL", [](tether_config& c) { c.tls_pin_count = 1; }, "tls_pins is NULL"},
      {"verify flag", [](tether_config& c) { c.tls_verify_peer = 2; }, "tls_verify_peer"},
      {"auth timeout", [](tether_config& c) { c.auth_timeout_ms = 0; }, "auth timeout"},
      {"refresh lead", [](tether_config& c) { c.refresh_lead_ms = -1; }, "refresh lead"},
      {"refresh timeout", [](tether_config& c) { c.refresh_timeout_ms = 0; }, "refresh timeout"},
      {"pending events zero", [](tether_config& c) { c.max_pending_events = 0; }, "pending events"},
      {"pending events huge", [](tether_config& c) { c.max_pending_events = uint64_t{1} << 31; }, "2^30"},
      {"pin too short", [](tether_config& c) { c.tls_pins = kShortPin, c.tls_pin_count = 1; }, "tls_pins"},
      {"pin bad char", [](tether_config& c) { c.tls_pins = kBadCharPin, c.tls_pin_count = 1; }, "tls_pins"},
      {"connect timeout INT64_MAX", [](tether_config& c) { c.connect_timeout_ms = INT64_MAX; }, "connect timeout"},
      {"connect timeout over max", [](tether_config& c) { c.connect_timeout_ms = kOverMaxMs; }, "604800000"},
      {"backoff initial over max", [](tether_config& c) { c.backoff_initial_ms = c.backoff_max_ms = kOverMaxMs; }, "604800000"},
      {"backoff max INT64_MAX", [](tether_config& c) { c.backoff_max_ms = INT64_MAX; }, "604800000"},
      {"backoff stable over max", [](tether_config& c) { c.backoff_stable_ms = kOverMaxMs; }, "604800000"},
      {"heartbeat interval INT64_MAX", [](tether_config& c) { c.heartbeat_interval_ms = INT64_MAX; }, "604800000"},
      {"ack timeout INT64_MAX", [](tether_config& c) { c.ack_timeout_ms = INT64_MAX; }, "604800000"},
      {"auth timeout INT64_MAX", [](tether_config& c) { c.auth_timeout_ms = INT64_MAX; }, "604800000"},
      {"refresh lead INT64_MAX", [](tether_config& c) { c.refresh_lead_ms = INT64_MAX; }, "604800000"},
      {"refresh timeout INT64_MAX", [](tether_config& c) { c.refresh_timeout_ms = INT64_MAX; }, "604800000"},
      {"backoff decay huge", [](tether_config& c) { c.backoff_decay = 1e300; }, "decay"},
      {"log level", [](tether_config& c) { c.log_level = 9; }, "log_level"},
      {"io mode", [](tether_config& c) { c.io_mode = 2; }, "io_mode"},
      {"token not UTF-8", [](tether_config& c) { c.token = "not-utf8-\xff"; }, "token is not valid UTF-8"},
  };
  for (const BadConfig& bad : cases) {
    DYNAMIC_SECTION(bad.name) {
      tether_config config = test_config("ws://127.0.0.1:1", "token");
      bad.spoil(config);
      tether_client* client = reinterpret_cast<tether_client*>(uintptr_t{1});
      CHECK(tether_client_create(&config, &client) == TETHER_ERROR_INVALID_CONFIG);
      CHECK(client == nullptr);
      if (client != nullptr && client != reinterpret_cast<tether_client*>(uintptr_t{1})) tether_client_destroy(client);
      const std::string detail = tether_client_last_error(nullptr);
      INFO(detail);
      CHECK(detail.find(bad.expected_text) != std::string::npos);
    }
  }
}

TEST_CASE("url and urls combine into one list", "[capi]") {
  const char* const extra[] = {"ws://127.0.0.1:2", "wss://127.0.0.1:3"};
  tether_config config = test_config("ws://127.0.0.1:1", "token");
  config.urls = extra;
  config.url_count = 2;
  config.pool_size = 3;
  tether_client* client = nullptr;
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  CHECK(tether_client_pool_size(client) == 3);
  tether_client_destroy(client);

  config.url = nullptr;  // urls alone are enough
  REQUIRE(tether_client_create(&config, &client) == TETHER_OK);
  tether_client_destroy(client);
}
