/* A C consumer of tether.h: compiled as C99 with -pedantic -Werror (which
 * proves the header is real C), it checks the ABI layout of the public
 * structs and prints every size and offset as "struct.field=N" lines. The
 * Mono test compares the C# mirror against exactly these numbers. */
#include <stdio.h>
#include <string.h>

#include "tether/tether.h"

/* C99 has no _Static_assert: a negative array size fails the build instead. */
#define LAYOUT_ASSERT(name, condition) typedef char layout_assert_##name[(condition) ? 1 : -1]
LAYOUT_ASSERT(event_size, sizeof(tether_event) == TETHER_EVENT_SIZE);
LAYOUT_ASSERT(stats_size, sizeof(tether_stats) == 160);
LAYOUT_ASSERT(event_header, offsetof(tether_event, time_ms) == 8);
LAYOUT_ASSERT(enum_is_32_bits, sizeof(tether_event_type) == 4);

static int failures = 0;
static size_t field_bytes = 0; /* sum of field sizes: equals sizeof() iff there is no padding */

static void field(const char* type, const char* name, size_t offset, size_t size, size_t expected_offset) {
  printf("%s.%s=%u\n", type, name, (unsigned)offset);
  field_bytes += size;
  if (offset != expected_offset) {
    fprintf(stderr, "%s.%s: offset %u, expected %u\n", type, name, (unsigned)offset, (unsigned)expected_offset);
    ++failures;
  }
}

static void total(const char* type, size_t size) {
  printf("%s.size=%u\n", type, (unsigned)size);
  if (field_bytes != size) {
    fprintf(stderr, "%s: %u bytes of fields in %u bytes: implicit padding\n", type, (unsigned)field_bytes,
            (unsigned)size);
    ++failures;
  }
  field_bytes = 0;
}

#define P sizeof(void*)
#define EVENT(name, expected) \
  field("tether_event", #name, offsetof(tether_event, name), sizeof(((tether_event*)0)->name), expected)
#define STATS(name, expected) \
  field("tether_stats", #name, offsetof(tether_stats, name), sizeof(((tether_stats*)0)->name), expected)
/* Config offsets are not documented one by one: it only must be padding-free,
 * and the C# mirror must agree with whatever they are. */
#define CONFIG(name) \
  field("tether_config", #name, offsetof(tether_config, name), sizeof(((tether_config*)0)->name), \
        offsetof(tether_config, name))

static void check_event(void) {
  EVENT(type, 0); EVENT(connection, 4); EVENT(time_ms, 8); EVENT(message_id, 16);
  EVENT(expires_at_ms, 24); EVENT(timestamp_ms, 32); EVENT(delay_ms, 40); EVENT(state, 48);
  EVENT(attempt, 52); EVENT(close_code, 56); EVENT(close_initiator, 60); EVENT(outcome, 64);
  EVENT(flags, 68); EVENT(log_level, 72); EVENT(reserved0, 76);
  EVENT(channel, 80); EVENT(data, 80 + P); EVENT(code, 80 + 2 * P); EVENT(reason, 80 + 3 * P);
  EVENT(action, 80 + 4 * P); EVENT(token, 80 + 5 * P); EVENT(user_id, 80 + 6 * P);
  EVENT(session, 80 + 7 * P); EVENT(permissions, 80 + 8 * P); EVENT(reserved_ptr, 80 + 9 * P);
  EVENT(channel_len, 80 + 10 * P); EVENT(data_len, 84 + 10 * P); EVENT(code_len, 88 + 10 * P);
  EVENT(reason_len, 92 + 10 * P); EVENT(action_len, 96 + 10 * P); EVENT(token_len, 100 + 10 * P);
  EVENT(user_id_len, 104 + 10 * P); EVENT(session_len, 108 + 10 * P);
  EVENT(permissions_len, 112 + 10 * P); EVENT(permission_count, 116 + 10 * P);
  EVENT(reserved, 120 + 10 * P);
  total("tether_event", sizeof(tether_event));
}

static void check_stats(void) {
  STATS(struct_size, 0); STATS(state, 4); STATS(messages_sent, 8); STATS(messages_received, 16);
  STATS(bytes_sent, 24); STATS(bytes_received, 32); STATS(errors, 40); STATS(reconnects, 48);
  STATS(pending_acks, 56); STATS(queued, 64); STATS(routed, 72); STATS(sim_dropped, 80);
  STATS(rtt_ms, 88); STATS(url_index, 96); STATS(reserved, 104);
  total("tether_stats", sizeof(tether_stats));
}

static void check_config(void) {
  CONFIG(struct_size); CONFIG(url_count); CONFIG(url); CONFIG(urls); CONFIG(pool_size);
  CONFIG(balance_strategy); CONFIG(backoff_initial_ms); CONFIG(backoff_max_ms); CONFIG(backoff_decay);
  CONFIG(backoff_stable_ms); CONFIG(backoff_jitter); CONFIG(backoff_max_attempts);
  CONFIG(connect_timeout_ms); CONFIG(heartbeat_interval_ms); CONFIG(heartbeat_timeout_ms);
  CONFIG(ack_timeout_ms); CONFIG(ack_max_retries); CONFIG(max_in_flight); CONFIG(queue_max_messages);
  CONFIG(queue_max_bytes); CONFIG(receive_window); CONFIG(max_message_bytes); CONFIG(token);
  CONFIG(tls_ca_file); CONFIG(tls_ca_pem); CONFIG(tls_pins); CONFIG(tls_pin_count);
  CONFIG(tls_verify_peer); CONFIG(auth_timeout_ms); CONFIG(refresh_lead_ms);
  CONFIG(refresh_timeout_ms); CONFIG(max_pending_events); CONFIG(seed); CONFIG(log_level);
  CONFIG(io_mode); CONFIG(max_pending_event_bytes);
  total("tether_config", sizeof(tether_config));
}

int main(void) {
  tether_config config;
  check_event();
  check_stats();
  check_config();
  /* Linking and calling from C works, and the header matches the library. */
  if (tether_version() != TETHER_VERSION) {
    fprintf(stderr, "library version %s does not match the header\n", tether_version_string());
    ++failures;
  }
  if (tether_config_init(&config) != TETHER_OK || config.struct_size != sizeof(tether_config)) {
    fprintf(stderr, "tether_config_init failed\n");
    ++failures;
  }
  if (strcmp(tether_result_string(TETHER_OK), "ok") != 0) ++failures;
  return failures == 0 ? 0 : 1;
}
