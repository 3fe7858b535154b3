/* A program outside Tether that uses it as a package user would: only
 * tether.h, linked through tether::tether (or tether::tether_static).
 *
 *   tether_consumer URL TOKEN
 *
 * Connects, waits for READY, sends one reliable message, waits for its ACK,
 * prints one line and exits 0 (1 on bad arguments, 2 on failure or after 15 s). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tether/tether.h>

/* Consumers see include/ only, never a layer's include root. */
#if defined(__has_include)
#if __has_include("core/codec.h") || __has_include("client/engine.h") || __has_include("transport/ws_client.h") || \
    __has_include("capi/client_handle.h")
#error "Tether's internal headers are visible to a consumer"
#endif
#endif
#if defined(TETHER_CONSUMER_EXPECT_STATIC) && !defined(TETHER_STATIC)
#error "tether::tether_static must define TETHER_STATIC for its consumers"
#endif
#if !defined(TETHER_CONSUMER_EXPECT_STATIC) && defined(TETHER_STATIC)
#error "tether::tether must not define TETHER_STATIC"
#endif

#define DEADLINE_MS 15000

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec t;
  t.tv_sec = ms / 1000;
  t.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&t, NULL);
}

int main(int argc, char** argv) {
  static const char kMessage[] = "{\"text\":\"hello from a CMake consumer\"}";
  const char* linkage = TETHER_CONSUMER_LINKAGE;
  const long long deadline = now_ms() + DEADLINE_MS;
  tether_config config;
  tether_client* client = NULL;
  uint64_t sent_id = 0;
  int ready = 0, acked = 0, failed = 0;
  int32_t result;

  if (argc != 3) {
    fprintf(stderr, "usage: tether_consumer URL TOKEN\n");
    return 1;
  }
  if (tether_version() != TETHER_VERSION) {
    fprintf(stderr, "consumer: header %u, library %u (%s)\n", (unsigned)TETHER_VERSION, (unsigned)tether_version(),
            tether_version_string());
    return 2;
  }
  tether_config_init(&config);
  config.url = argv[1];
  config.token = argv[2];
  config.log_level = TETHER_LOG_OFF;
  result = tether_client_create(&config, &client);
  if (result != TETHER_OK) {
    fprintf(stderr, "consumer: create: %s: %s\n", tether_result_string(result), tether_client_last_error(NULL));
    return 2;
  }
  tether_client_connect(client);
  while (!acked && !failed && now_ms() < deadline) {
    const int32_t count = tether_client_pump(client);
    int32_t i;
    for (i = 0; i < count; ++i) {
      const tether_event* e = tether_client_event(client, (uint32_t)i);
      if (e->type == TETHER_EVENT_STATE_CHANGED && e->state == TETHER_STATE_READY && !ready) {
        ready = 1;
        result = tether_client_send(client, "consumer", kMessage, sizeof kMessage - 1, TETHER_SEND_RELIABLE, &sent_id);
        if (result != TETHER_OK) {
          fprintf(stderr, "consumer: send: %s: %s\n", tether_result_string(result), tether_client_last_error(client));
          failed = 1;
        }
      } else if (e->type == TETHER_EVENT_ACK && e->message_id == sent_id && ready) {
        acked = 1;
      } else if (e->type == TETHER_EVENT_SEND_FAILED || e->type == TETHER_EVENT_AUTH_FAILED ||
                 (e->type == TETHER_EVENT_STATE_CHANGED &&
                  (e->state == TETHER_STATE_GAVE_UP || e->state == TETHER_STATE_UNAUTHORIZED))) {
        fprintf(stderr, "consumer: %s (state %s)\n", tether_event_type_string(e->type), tether_state_string(e->state));
        failed = 1;
      }
    }
    if (!acked && !failed) sleep_ms(5);
  }
  tether_client_destroy(client);
  if (!acked) {
    fprintf(stderr, "consumer: %s\n", failed ? "failed" : ready ? "no ack within 15 s" : "not ready within 15 s");
    return 2;
  }
  printf("consumer (%s libtether %s): ready, message #%llu acked\n", linkage, tether_version_string(),
         (unsigned long long)sent_id);
  return 0;
}
