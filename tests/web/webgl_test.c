/* The browser test (scripts/webgl.sh): a C program that uses only tether.h,
 * built with Emscripten and run by headless Chromium against a real
 * tether-server on loopback. The page (webgl_test.html) passes
 * argv = { url, token, forged_token, wss_url }; the token may publish and
 * subscribe on room:*, and nothing else. wss_url is a second server, with
 * TLS (a self-signed certificate the browser is told to accept).
 *
 * Lines starting "webgl: step" ask the script for something:
 *   "webgl: step fanout"   publish on room:web from a native client (c_chat);
 *   "webgl: step restart"  restart the server (SIGTERM, same port, --state-file).
 * While the server restarts the page keeps sending numbered reliable
 * messages on room:web, which it also subscribes to: each must be acked
 * once and come back once, over a resumed session. Last, one line
 * (on one line):
 *   webgl: tls=rejected auth=ok subscribe=ok ack=ok echo=ok permission_denied=ok forged=ok fanout=ok
 *          unpumped_io=ok resume=ok
 * (unpumped_io: with the page not pumping for a second, heartbeats still
 * went out and came back, from the browser's own callbacks)
 * ("fail" for a check that did not pass), then "webgl: done". */
#include <emscripten/emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether/tether.h"

#define DEADLINE_MS 40000.0
#define RESUME_MESSAGES 40  /* sent one per frame across the restart */
#define SETTLE_MS 500.0     /* after the last echo, time for a duplicate to show */
#define QUIET_MS 1000.0     /* no pump this long: heartbeats must go on without it */
#define HEARTBEAT_MS 200

static const char* g_url;
static const char* g_token;
static const char* g_forged;
static tether_client* g_client;  /* the real token */
static tether_client* g_forger;  /* the forged one */
static double g_started;

static const char* g_wss_url;
static tether_client* g_wss;     /* the real token over wss:// */
static int g_wss_auth;
static tether_client* g_bad_url; /* a url the browser cannot parse */
static int g_bad_url_reported;
static int g_binary_echoed;
static const unsigned char kBytes[] = {0x00, 0xff, 0x7f, 0x80, 0x0a, 0x00};
static int g_tls_rejected, g_auth, g_subscribed, g_acked, g_echoed, g_denied, g_denied_at_once, g_forged_rejected,
    g_fanout;
static uint64_t g_room_id, g_secret_id;
static int g_sent;

/* The restart phase. */
/* The quiet phase: the page stops pumping; the browser's callbacks carry on. */
static double g_quiet_from;
static tether_stats g_quiet_stats;
static int g_unpumped_io, g_quiet_done;

static int g_restarting;  /* "step restart" printed */
static int g_resume_sent;
static uint64_t g_resume_ids[RESUME_MESSAGES + 1];
static int g_resume_acks[RESUME_MESSAGES + 1], g_resume_echoes[RESUME_MESSAGES + 1];
static int g_resume_failed, g_disconnected, g_resumed;
static double g_settle_from;

static const char kPayload[] = "{\"from\":\"browser\",\"n\":1}";

static const char* ok(int passed) { return passed ? "ok" : "fail"; }

static void configure(tether_config* config, const char* token) {
  tether_config_init(config);
  config->url = g_url;
  config->token = token;
}

/* Pinning cannot be honoured where the browser owns TLS: create refuses it. */
static void check_tls_options(void) {
  static const char* pins[] = {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="};
  tether_config config;
  configure(&config, g_token);
  config.tls_pins = pins;
  config.tls_pin_count = 1;
  tether_client* client = NULL;
  const int32_t result = tether_client_create(&config, &client);
  g_tls_rejected = result == TETHER_ERROR_INVALID_CONFIG && client == NULL;
  printf("tls pins: %s (%s)\n", tether_result_string(result), tether_client_last_error(NULL));
  tether_client_destroy(client);
}

static int basics_passed(void) {
  return g_tls_rejected && g_auth && g_subscribed && g_acked && g_echoed && g_denied && g_denied_at_once &&
         g_forged_rejected && g_fanout && g_binary_echoed && g_bad_url_reported && g_wss_auth;
}

/* Every numbered message acked once and back once, after a resumed session. */
static int resume_counts_ok(void) {
  if (g_resume_sent < RESUME_MESSAGES || g_resume_failed > 0 || !g_disconnected || !g_resumed) return 0;
  for (int k = 1; k <= RESUME_MESSAGES; ++k) {
    if (g_resume_acks[k] != 1 || g_resume_echoes[k] != 1) return 0;
  }
  return 1;
}

static void finish(void) {
  int acked = 0, echoed = 0, repeated = 0;
  for (int k = 1; k <= RESUME_MESSAGES; ++k) {
    acked += g_resume_acks[k] > 0;
    echoed += g_resume_echoes[k] > 0;
    repeated += (g_resume_acks[k] > 1) + (g_resume_echoes[k] > 1);
  }
  printf("resume: sent=%d acked=%d echoed=%d repeated=%d failed=%d disconnected=%d resumed=%d\n", g_resume_sent,
         acked, echoed, repeated, g_resume_failed, g_disconnected, g_resumed);
  printf(
      "webgl: tls=%s bad_url=%s wss=%s auth=%s subscribe=%s ack=%s echo=%s binary=%s permission_denied=%s "
      "forged=%s fanout=%s unpumped_io=%s resume=%s\n",
      g_tls_rejected ? "rejected" : "fail", ok(g_bad_url_reported), ok(g_wss_auth), ok(g_auth), ok(g_subscribed), ok(g_acked),
      ok(g_echoed), ok(g_binary_echoed), ok(g_denied && g_denied_at_once), ok(g_forged_rejected), ok(g_fanout),
      ok(g_unpumped_io), ok(resume_counts_ok()));
  printf("webgl: done\n");
  emscripten_cancel_main_loop();
  tether_client_destroy(g_client);
  tether_client_destroy(g_forger);
  tether_client_destroy(g_bad_url);
  tether_client_destroy(g_wss);
  g_client = g_forger = g_bad_url = g_wss = NULL;
}

static int resume_index(uint64_t message_id) {
  for (int k = 1; k <= g_resume_sent; ++k) {
    if (g_resume_ids[k] == message_id) return k;
  }
  return 0;
}

static void on_message(const tether_event* e) {
  if (strcmp(e->channel, "room:web") != 0) return;
  if (e->flags & TETHER_EVENT_FLAG_BINARY) {
    g_binary_echoed = e->data_len == sizeof kBytes && memcmp(e->data, kBytes, sizeof kBytes) == 0;
    return;
  }
  if (strstr(e->data, "\"browser\"") != NULL) g_echoed = 1;
  if (strstr(e->data, "\"text\"") != NULL) g_fanout = 1; /* c_chat's {"text":...} */
  const char* seq = strstr(e->data, "\"seq\":");
  if (seq != NULL) {
    const int k = atoi(seq + 6);
    if (k >= 1 && k <= RESUME_MESSAGES) ++g_resume_echoes[k];
  }
}

static void handle(const tether_event* e) {
  int k;
  switch (e->type) {
    case TETHER_EVENT_AUTH_OK:
      if (!g_auth) {
        printf("auth ok: user %s, session %s\n", e->user_id, e->session);
        /* Permissions are known now: a forbidden publish fails at once. */
        g_denied_at_once =
            tether_client_send(g_client, "secret", kPayload, strlen(kPayload), TETHER_SEND_RELIABLE, NULL) ==
            TETHER_ERROR_PERMISSION_DENIED;
      }
      g_auth = 1;
      break;
    case TETHER_EVENT_STATE_CHANGED:
      printf("state: %s%s\n", tether_state_string(e->state),
             e->flags & TETHER_EVENT_FLAG_RESUMED ? " (resumed)" : "");
      if (g_restarting && e->state == TETHER_STATE_RECONNECTING) g_disconnected = 1;
      if (g_disconnected && e->state == TETHER_STATE_READY && (e->flags & TETHER_EVENT_FLAG_RESUMED)) g_resumed = 1;
      break;
    case TETHER_EVENT_SUBSCRIBED:
      if (strcmp(e->channel, "room:web") == 0 && !g_subscribed) {
        g_subscribed = 1;
        printf("webgl: step fanout\n");
      }
      break;
    case TETHER_EVENT_ACK:
      if (e->message_id == g_room_id) g_acked = 1;
      if ((k = resume_index(e->message_id)) != 0) ++g_resume_acks[k];
      break;
    case TETHER_EVENT_MESSAGE:
      on_message(e);
      break;
    case TETHER_EVENT_PERMISSION_DENIED:
      printf("permission denied: %s on %s (%s)\n", e->action, e->channel, e->code);
      if (e->message_id == g_secret_id && strcmp(e->channel, "secret") == 0) g_denied = 1;
      break;
    case TETHER_EVENT_SEND_FAILED:
      printf("send failed: id %llu outcome %u\n", (unsigned long long)e->message_id, e->outcome);
      if (resume_index(e->message_id) != 0) ++g_resume_failed;
      break;
    case TETHER_EVENT_TRANSPORT_ERROR:
    case TETHER_EVENT_ERROR:
      printf("%s: %s %s\n", tether_event_type_string(e->type), e->code, e->reason);
      break;
    default:
      break;
  }
}

static void send_resume_message(void) {
  char json[64];
  const int k = g_resume_sent + 1;
  const int length = snprintf(json, sizeof json, "{\"seq\":%d}", k);
  if (tether_client_send(g_client, "room:web", json, (size_t)length, TETHER_SEND_RELIABLE, &g_resume_ids[k]) ==
      TETHER_OK) {
    g_resume_sent = k;
  }
}

static tether_stats pool_stats(void) {
  tether_stats stats;
  memset(&stats, 0, sizeof stats);
  stats.struct_size = sizeof stats;
  tether_client_pool_stats(g_client, &stats);
  return stats;
}

/* Returns 1 while the page is not to pump. */
static int quiet_phase(void) {
  if (g_quiet_from == 0) {
    g_quiet_from = emscripten_get_now();
    g_quiet_stats = pool_stats();
    return 1;
  }
  if (emscripten_get_now() - g_quiet_from < QUIET_MS) return 1;
  g_quiet_done = 1;
  /* Pings went out and pongs came in with no pump: timers and reads ran from browser callbacks. */
  const tether_stats now = pool_stats();
  g_unpumped_io = now.bytes_sent > g_quiet_stats.bytes_sent && now.bytes_received > g_quiet_stats.bytes_received &&
                  now.reconnects == g_quiet_stats.reconnects;
  printf("unpumped %.0f ms: %llu bytes sent, %llu received\n", QUIET_MS,
         (unsigned long long)(now.bytes_sent - g_quiet_stats.bytes_sent),
         (unsigned long long)(now.bytes_received - g_quiet_stats.bytes_received));
  return 0;
}

static void frame(void) {
  if (basics_passed() && !g_quiet_done && quiet_phase()) return;
  for (int32_t i = 0, n = tether_client_pump(g_client); i < n; ++i) handle(tether_client_event(g_client, (uint32_t)i));
  if (g_subscribed && !g_sent) {
    g_sent = 1;
    if (tether_client_send(g_client, "room:web", kPayload, strlen(kPayload), TETHER_SEND_RELIABLE, &g_room_id) !=
            TETHER_OK ||
        tether_client_send_bytes(g_client, "room:web", kBytes, sizeof kBytes, TETHER_SEND_RELIABLE, NULL) !=
            TETHER_OK) {
      printf("send to room:web failed at once\n");
    }
  }
  if (g_wss != NULL) {
    for (int32_t i = 0, n = tether_client_pump(g_wss); i < n; ++i) {
      const tether_event* e = tether_client_event(g_wss, (uint32_t)i);
      if (e->type == TETHER_EVENT_AUTH_OK) {
        printf("wss: auth ok, session %s\n", e->session);
        g_wss_auth = 1;
      }
      if (e->type == TETHER_EVENT_TRANSPORT_ERROR) printf("wss: %s, %s\n", e->code, e->reason);
    }
  }
  if (g_bad_url != NULL) {
    for (int32_t i = 0, n = tether_client_pump(g_bad_url); i < n; ++i) {
      const tether_event* e = tether_client_event(g_bad_url, (uint32_t)i);
      if (e->type == TETHER_EVENT_TRANSPORT_ERROR) {
        printf("bad url: %s, %s\n", e->code, e->reason);
        g_bad_url_reported = strcmp(e->code, "invalid_options") == 0;
      }
    }
  }
  if (g_forger != NULL) {
    for (int32_t i = 0, n = tether_client_pump(g_forger); i < n; ++i) {
      const tether_event* e = tether_client_event(g_forger, (uint32_t)i);
      if (e->type == TETHER_EVENT_AUTH_FAILED) {
        printf("forged token: auth failed, %s\n", e->code);
        g_forged_rejected = strcmp(e->code, "bad_signature") == 0;
      }
      if (e->type == TETHER_EVENT_AUTH_OK) g_forged_rejected = 0;
    }
  }
  if (!g_restarting && g_quiet_done) {
    g_restarting = 1;
    tether_client_destroy(g_forger);
    g_forger = NULL;
    printf("webgl: step restart\n");
  }
  if (g_restarting && g_resume_sent < RESUME_MESSAGES) send_resume_message();
  if (resume_counts_ok()) {
    if (g_settle_from == 0) g_settle_from = emscripten_get_now();
    if (emscripten_get_now() - g_settle_from > SETTLE_MS) {
      finish();
      return;
    }
  }
  if (emscripten_get_now() - g_started > DEADLINE_MS) finish();
}

int main(int argc, char** argv) {
  if (argc < 5) {
    printf("webgl: usage: webgl_test URL TOKEN FORGED_TOKEN WSS_URL\n");
    return 1;
  }
  g_url = argv[1];
  g_token = argv[2];
  g_forged = argv[3];
  g_wss_url = argv[4];
  g_started = emscripten_get_now();
  printf("tether %s in the browser, server %s\n", tether_version_string(), g_url);
  check_tls_options();

  tether_config config;
  configure(&config, g_token);
  config.backoff_max_attempts = 0; /* through the restart, however long it takes */
  config.backoff_initial_ms = 100;
  config.heartbeat_interval_ms = HEARTBEAT_MS;
  config.heartbeat_timeout_ms = HEARTBEAT_MS / 2;
  if (tether_client_create(&config, &g_client) != TETHER_OK) {
    printf("webgl: create failed: %s\n", tether_client_last_error(NULL));
    return 1;
  }
  tether_client_subscribe(g_client, "room:web");
  /* Queued while offline, before permissions are known: the server refuses it. */
  tether_client_send(g_client, "secret", kPayload, strlen(kPayload), TETHER_SEND_RELIABLE, &g_secret_id);
  tether_client_connect(g_client);

  configure(&config, g_forged);
  config.backoff_max_attempts = 1;
  if (tether_client_create(&config, &g_forger) != TETHER_OK) {
    printf("webgl: create failed: %s\n", tether_client_last_error(NULL));
    return 1;
  }
  tether_client_connect(g_forger);

  configure(&config, g_token);
  config.url = g_wss_url;
  if (tether_client_create(&config, &g_wss) != TETHER_OK) {
    printf("webgl: create failed: %s\n", tether_client_last_error(NULL));
    return 1;
  }
  tether_client_connect(g_wss);

  /* Passes validation (ws:// prefix), but no WebSocket can be made from it. */
  configure(&config, g_token);
  config.url = "ws://[::1";
  config.backoff_max_attempts = 1;
  if (tether_client_create(&config, &g_bad_url) != TETHER_OK) {
    printf("webgl: create failed: %s\n", tether_client_last_error(NULL));
    return 1;
  }
  tether_client_connect(g_bad_url);
  /* 0 fps: once per animation frame, as a game's loop would pump. */
  emscripten_set_main_loop(frame, 0, 0);
  return 0;
}
