/* A C consumer built against an older tether.h: it declares the 0.1
 * tether_config (which ended at reserved0) and a truncated tether_stats, and
 * passes them with a cast, as a game compiled against 0.1 would when loading
 * a newer library. The library must use defaults for fields the caller does
 * not know, read and write nothing past struct_size, and refuse sizes it
 * does not know. Compiled as C99 like c_consumer_layout.c. */
#include <stdio.h>
#include <string.h>

#include "tether/tether.h"

/* tether_config exactly as 0.1's tether.h declared it. */
typedef struct config_0_1 {
  uint32_t struct_size;
  uint32_t url_count;
  const char* url;
  const char* const* urls;
  uint32_t pool_size;
  uint32_t balance_strategy;
  int64_t backoff_initial_ms;
  int64_t backoff_max_ms;
  double backoff_decay;
  int64_t backoff_stable_ms;
  uint32_t backoff_jitter;
  uint32_t backoff_max_attempts;
  int64_t connect_timeout_ms;
  int64_t heartbeat_interval_ms;
  int64_t heartbeat_timeout_ms;
  int64_t ack_timeout_ms;
  uint32_t ack_max_retries;
  uint32_t max_in_flight;
  uint64_t queue_max_messages;
  uint64_t queue_max_bytes;
  uint32_t receive_window;
  uint32_t max_message_bytes;
  const char* token;
  const char* tls_ca_file;
  const char* tls_ca_pem;
  const char* const* tls_pins;
  uint32_t tls_pin_count;
  uint32_t tls_verify_peer;
  int64_t auth_timeout_ms;
  int64_t refresh_lead_ms;
  int64_t refresh_timeout_ms;
  uint64_t max_pending_events;
  uint64_t seed;
  int32_t log_level;
  uint32_t reserved0;
} config_0_1;

/* The old struct followed by bytes a newer library must not read: zero is
 * not a valid max_pending_event_bytes, so reading them would fail create. */
typedef struct old_config_in_memory {
  config_0_1 config;
  unsigned char beyond[64];
} old_config_in_memory;

#define CANARY 0xA5
#define STATS_BYTES (sizeof(tether_stats) + 64)

static int failures = 0;

static void fail(const char* what) {
  fprintf(stderr, "FAILED: %s\n", what);
  ++failures;
}

static int untouched(const unsigned char* bytes, size_t from, size_t to) {
  size_t i;
  for (i = from; i < to; ++i) {
    if (bytes[i] != CANARY) return 0;
  }
  return 1;
}

/* Calls pool_stats with struct_size `size` on a canary-filled buffer;
 * returns the result and checks nothing past the whole fields was written. */
static int32_t stats_with_size(tether_client* client, uint32_t size, size_t expect_written) {
  unsigned char buffer[STATS_BYTES];
  uint32_t state = 0xFFFFFFFFu;
  int32_t result;
  memset(buffer, CANARY, sizeof buffer);
  memcpy(buffer, &size, sizeof size); /* struct_size is the first field */
  result = tether_client_pool_stats(client, (tether_stats*)(void*)buffer);
  if (!untouched(buffer, expect_written < 8 ? 8 : expect_written, sizeof buffer)) {
    fprintf(stderr, "struct_size %u: bytes written past %u\n", (unsigned)size, (unsigned)expect_written);
    ++failures;
  }
  if (result == TETHER_OK) {
    uint32_t size_after;
    memcpy(&size_after, buffer, sizeof size_after);
    memcpy(&state, buffer + 4, sizeof state);
    if (size_after != size) fail("stats: struct_size changed");
    if (state != TETHER_STATE_IDLE) fail("stats: state not written");
  }
  return result;
}

int main(void) {
  old_config_in_memory old;
  tether_config current;
  tether_client* client = NULL;
  int32_t result;

  if (sizeof(config_0_1) != offsetof(tether_config, max_pending_event_bytes)) {
    fail("config_0_1 is not a prefix of tether_config");
  }
  /* Defaults as 0.1's tether_config_init set them: copy the prefix of today's. */
  tether_config_init(&current);
  memset(&old, 0, sizeof old);
  memcpy(&old.config, &current, sizeof old.config);
  old.config.struct_size = (uint32_t)sizeof(config_0_1);
  old.config.url = "ws://127.0.0.1:1";
  old.config.pool_size = 2;
  old.config.log_level = TETHER_LOG_OFF;

  result = tether_client_create((const tether_config*)(const void*)&old.config, &client);
  if (result != TETHER_OK) {
    fprintf(stderr, "create with the 0.1 struct_size: %s (%s)\n", tether_result_string(result),
            tether_client_last_error(NULL));
    ++failures;
  } else {
    if (tether_client_pool_size(client) != 2) fail("the 0.1 fields were not used");
    /* Header fields only, a cut inside a field, a shorter struct, the full size. */
    if (stats_with_size(client, 8, 8) != TETHER_OK) fail("stats: struct_size 8 refused");
    if (stats_with_size(client, 12, 8) != TETHER_OK) fail("stats: struct_size 12 refused");
    if (stats_with_size(client, 40, 40) != TETHER_OK) fail("stats: struct_size 40 refused");
    if (stats_with_size(client, sizeof(tether_stats), sizeof(tether_stats)) != TETHER_OK) {
      fail("stats: sizeof(tether_stats) refused");
    }
    /* Too small to hold the header, or larger than this library knows. */
    if (stats_with_size(client, 4, 0) != TETHER_ERROR_INVALID_ARGUMENT) fail("stats: struct_size 4 accepted");
    if (stats_with_size(client, sizeof(tether_stats) + 8, 0) != TETHER_ERROR_INVALID_ARGUMENT) {
      fail("stats: a larger struct_size accepted");
    }
    tether_client_destroy(client);
  }

  /* A 0.1 program calls the exported tether_config_init (the parentheses
   * skip today's macro): it must fill the 0.1 struct and nothing after it. */
  memset(&old, CANARY, sizeof old);
  if ((tether_config_init)((tether_config*)(void*)&old.config) != TETHER_OK) fail("0.1 init refused");
  if (old.config.struct_size != sizeof(config_0_1)) fail("0.1 init: struct_size is not the 0.1 size");
  if (old.config.pool_size != current.pool_size) fail("0.1 init: defaults not written");
  if (!untouched(old.beyond, 0, sizeof old.beyond)) fail("0.1 init wrote past the 0.1 struct");
  memset(&old, CANARY, sizeof old);
  if (tether_config_init_sized((tether_config*)(void*)&old.config, (uint32_t)sizeof(config_0_1)) != TETHER_OK ||
      !untouched(old.beyond, 0, sizeof old.beyond)) {
    fail("sized init with the 0.1 size wrote past it");
  }
  if (tether_config_init_sized(&current, (uint32_t)sizeof(config_0_1) - 4) != TETHER_ERROR_INVALID_ARGUMENT ||
      tether_config_init_sized(&current, (uint32_t)sizeof(tether_config) + 8) != TETHER_ERROR_INVALID_ARGUMENT) {
    fail("sized init accepted an unknown size");
  }
  if (tether_config_init(&current) != TETHER_OK || current.struct_size != sizeof(tether_config) ||
      current.max_pending_event_bytes == 0) {
    fail("the header's tether_config_init did not fill today's struct");
  }
  memset(&old, 0, sizeof old);
  memcpy(&old.config, &current, sizeof old.config);
  old.config.struct_size = (uint32_t)sizeof(config_0_1);
  old.config.url = "ws://127.0.0.1:1";

  /* A size between the known ones is refused, not guessed at. */
  old.config.struct_size = (uint32_t)sizeof(config_0_1) - 4;
  client = NULL;
  if (tether_client_create((const tether_config*)(const void*)&old.config, &client) !=
      TETHER_ERROR_INVALID_ARGUMENT) {
    fail("create accepted an unknown struct_size");
    tether_client_destroy(client);
  }
  printf("old ABI: %d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
