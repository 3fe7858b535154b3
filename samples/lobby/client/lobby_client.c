/* tether-lobby-client: a lobby client in C99 that uses only tether.h.
 *
 * It runs like a game: a fixed-rate loop that calls tether_client_pump() once
 * per frame and reacts to the events. Interactive mode reads commands from
 * the terminal; --bot plays by itself: joins (or creates) a room, chats
 * reliably, readies up, and the host starts the match. At exit a bot prints
 * a summary line that scripts/demo.sh adds up.
 *
 *   tether-lobby-client --url ws://127.0.0.1:PORT --token JWT [--bot ...]
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether/tether.h"
#include "platform.h"

#define MAX_PEERS 32
#define TEXT 256

typedef struct peer_stats {
  char user[64];
  int64_t last_n;    /* highest chat number seen from this sender */
  uint64_t unique;   /* chat lines delivered once */
  uint64_t dup;      /* chat lines seen again */
  uint64_t gaps;     /* numbers skipped (lost) */
} peer_stats;

typedef struct options {
  const char* url;
  const char* token;
  const char* name; /* label for output */
  int bot;
  const char* room_name;
  int create;        /* bot creates the room instead of joining it */
  int capacity;
  int room_size;     /* bot waits for this many members before chatting */
  int chat_lines;
  int chat_interval_ms;
  int frame_ms;
  int64_t max_run_ms;
  int64_t sim_latency_ms;
  double sim_drop_rate;
  int64_t sim_from_ms, sim_until_ms; /* when (after start) the simulator is on */
  int quiet;
} options;

typedef struct lobby_client {
  options opt;
  tether_client* client;
  char user[64];
  uint32_t room_id;
  char room_channel[32];
  int members;
  int ready_members;
  int host; /* we are the room's host */
  int started;
  int ready_sent;
  int start_sent;
  int chat_sent;
  uint64_t acked;
  uint64_t failed;
  int64_t next_chat_at;
  int64_t next_join_at;
  int request_id;
  peer_stats peers[MAX_PEERS];
  int peer_count;
  int64_t t0;
} lobby_client;

/* ---- tiny JSON readers: the lobby server writes compact JSON ------------ */

/* Finds "key": in json (bounded by len) and returns a pointer to the value. */
static const char* json_value(const char* json, size_t len, const char* key) {
  char pattern[64];
  size_t plen;
  size_t i;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  plen = strlen(pattern);
  for (i = 0; i + plen <= len; ++i) {
    if (memcmp(json + i, pattern, plen) == 0) return json + i + plen;
  }
  return NULL;
}

static int json_int(const char* json, size_t len, const char* key, int64_t* out) {
  const char* v = json_value(json, len, key);
  if (v == NULL || (*v != '-' && (*v < '0' || *v > '9'))) return 0;
  *out = strtoll(v, NULL, 10);
  return 1;
}

static int json_string(const char* json, size_t len, const char* key, char* out, size_t size) {
  const char* v = json_value(json, len, key);
  size_t n = 0;
  if (v == NULL || *v != '"') return 0;
  ++v;
  while (v < json + len && *v != '"' && n + 1 < size) out[n++] = *v++;
  out[n] = '\0';
  return 1;
}

/* Entries in the string array "key":[...] */
static int json_array_count(const char* json, size_t len, const char* key) {
  const char* v = json_value(json, len, key);
  int quotes = 0;
  if (v == NULL || *v != '[') return -1;
  for (; v < json + len && *v != ']'; ++v) quotes += *v == '"';
  return quotes / 2;
}

/* ---- output ----------------------------------------------------------------- */

static void say(lobby_client* lc, const char* fmt, ...) {
  va_list args;
  if (lc->opt.quiet) return;
  printf("[%6.2fs] %-8s ", (double)(platform_now_ms() - lc->t0) / 1000.0, lc->opt.name);
  va_start(args, fmt);
  vprintf(fmt, args);
  va_end(args);
  printf("\n");
  fflush(stdout);
}

/* ---- requests ----------------------------------------------------------------- */

static void lobby_request(lobby_client* lc, const char* channel, const char* fmt, ...) {
  char json[TEXT + 32];
  char body[TEXT];
  va_list args;
  uint64_t id = 0;
  int32_t rc;
  va_start(args, fmt);
  vsnprintf(body, sizeof body, fmt, args);
  va_end(args);
  snprintf(json, sizeof json, "{\"req\":%d%s%s}", ++lc->request_id, body[0] ? "," : "", body);
  rc = tether_client_send(lc->client, channel, json, strlen(json), TETHER_SEND_RELIABLE, &id);
  if (rc != TETHER_OK) say(lc, "request failed: %s (%s)", tether_result_string(rc), tether_client_last_error(lc->client));
}

static void send_chat(lobby_client* lc, const char* text) {
  char json[TEXT + 64];
  uint64_t id = 0;
  int32_t rc;
  if (lc->room_id == 0) {
    say(lc, "join a room first");
    return;
  }
  snprintf(json, sizeof json, "{\"chat\":\"%s\",\"n\":%d}", text, lc->chat_sent + 1);
  rc = tether_client_send(lc->client, lc->room_channel, json, strlen(json), TETHER_SEND_RELIABLE, &id);
  if (rc == TETHER_OK) {
    ++lc->chat_sent;
  } else {
    say(lc, "chat not sent: %s", tether_result_string(rc));
  }
}

/* ---- events --------------------------------------------------------------------- */

static peer_stats* peer(lobby_client* lc, const char* user) {
  int i;
  for (i = 0; i < lc->peer_count; ++i) {
    if (strcmp(lc->peers[i].user, user) == 0) return &lc->peers[i];
  }
  if (lc->peer_count == MAX_PEERS) return NULL;
  memset(&lc->peers[lc->peer_count], 0, sizeof(peer_stats));
  snprintf(lc->peers[lc->peer_count].user, sizeof lc->peers[0].user, "%s", user);
  return &lc->peers[lc->peer_count++];
}

static void enter_room(lobby_client* lc, const char* json, size_t len) {
  int64_t id = 0;
  const char* room = json_value(json, len, "room");
  if (room == NULL || !json_int(room, len - (size_t)(room - json), "id", &id)) return;
  if (lc->room_id != (uint32_t)id) {
    lc->room_id = (uint32_t)id;
    /* The lobby sends room events and chat straight to members: no subscribe. */
    snprintf(lc->room_channel, sizeof lc->room_channel, "room:%u", lc->room_id);
  }
}

static void update_room(lobby_client* lc, const char* json, size_t len) {
  char host[64];
  const char* room = json_value(json, len, "room");
  size_t rlen;
  if (room == NULL) return;
  rlen = len - (size_t)(room - json);
  lc->members = json_array_count(room, rlen, "members");
  lc->ready_members = json_array_count(room, rlen, "ready");
  if (json_string(room, rlen, "host", host, sizeof host)) lc->host = strcmp(host, lc->user) == 0;
  if (strstr(room, "\"started\":true") != NULL) lc->started = 1;
}

static void on_lobby_reply(lobby_client* lc, const char* json, size_t len) {
  char op[16] = "", error[48] = "";
  json_string(json, len, "op", op, sizeof op);
  if (json_string(json, len, "error", error, sizeof error)) {
    /* A bot joining by name retries until the host has created the room. */
    if (!(lc->opt.bot && strcmp(error, "no_such_room") == 0)) say(lc, "lobby: %s refused: %s", op, error);
    return;
  }
  if (strcmp(op, "create") == 0 || strcmp(op, "join") == 0) {
    enter_room(lc, json, len);
    update_room(lc, json, len);
    say(lc, "%s room %u (%d/%s players)", op, lc->room_id, lc->members, lc->opt.bot ? "?" : "-");
  } else if (strcmp(op, "list") == 0) {
    say(lc, "rooms: %.*s", (int)len, json);
  } else if (strcmp(op, "leave") == 0) {
    lc->room_id = 0;
    say(lc, "left the room");
  }
}

static void on_room_message(lobby_client* lc, const tether_event* e) {
  char from[64] = "", kind[24] = "", who[64] = "";
  int64_t n = 0;
  if (json_string(e->data, e->data_len, "event", kind, sizeof kind)) {
    json_string(e->data, e->data_len, "user", who, sizeof who);
    update_room(lc, e->data, e->data_len);
    say(lc, "room %u: %s %s (%d players, %d ready%s)", lc->room_id, who, kind, lc->members, lc->ready_members,
        lc->host ? ", I am host" : "");
    if ((strcmp(kind, "kicked") == 0 || strcmp(kind, "left") == 0) && strcmp(who, lc->user) == 0) lc->room_id = 0;
    return;
  }
  if (json_string(e->data, e->data_len, "from", from, sizeof from) && json_int(e->data, e->data_len, "n", &n)) {
    peer_stats* p = peer(lc, from);
    char text[TEXT] = "";
    if (p == NULL) return;
    if (n <= p->last_n) {
      ++p->dup;
    } else {
      p->gaps += (uint64_t)(n - p->last_n - 1);
      p->last_n = n;
      ++p->unique;
    }
    json_string(e->data, e->data_len, "chat", text, sizeof text);
    say(lc, "chat %s #%lld: %s", from, (long long)n, text);
  }
}

static void on_event(lobby_client* lc, const tether_event* e) {
  switch (e->type) {
    case TETHER_EVENT_STATE_CHANGED:
      if (e->state == TETHER_STATE_RECONNECTING) {
        say(lc, "connection lost (code %u%s%.*s): reconnect attempt %u in %lld ms", e->close_code,
            e->reason_len ? ", " : "", (int)e->reason_len, e->reason ? e->reason : "", e->attempt,
            (long long)e->delay_ms);
      } else if (e->state == TETHER_STATE_READY) {
        say(lc, "%s", (e->flags & TETHER_EVENT_FLAG_RESUMED) ? "ready: session resumed, nothing lost" : "ready");
      } else {
        say(lc, "state: %s", tether_state_string(e->state));
      }
      break;
    case TETHER_EVENT_AUTH_OK:
      snprintf(lc->user, sizeof lc->user, "%.*s", (int)e->user_id_len, e->user_id);
      say(lc, "authenticated as %s", lc->user);
      break;
    case TETHER_EVENT_AUTH_FAILED:
      say(lc, "auth failed: %.*s", (int)e->code_len, e->code);
      break;
    case TETHER_EVENT_MESSAGE:
      if (strncmp(e->channel, "lobby", e->channel_len) == 0 && e->channel_len == 5) {
        on_lobby_reply(lc, e->data, e->data_len);
      } else {
        on_room_message(lc, e);
      }
      break;
    case TETHER_EVENT_ACK:
      ++lc->acked;
      break;
    case TETHER_EVENT_SEND_FAILED:
      ++lc->failed;
      say(lc, "send %llu failed (outcome %u)", (unsigned long long)e->message_id, e->outcome);
      break;
    case TETHER_EVENT_PERMISSION_DENIED:
      say(lc, "permission denied: %.*s on %.*s", (int)e->action_len, e->action, (int)e->channel_len, e->channel);
      break;
    case TETHER_EVENT_TRANSPORT_ERROR:
      say(lc, "transport: %.*s", (int)e->code_len, e->code);
      break;
    default:
      break;
  }
}

/* ---- the bot's brain, one step per frame ----------------------------------------- */

static int bot_step(lobby_client* lc, int64_t now) {
  tether_stats stats;
  if (lc->user[0] == '\0') return 0; /* not authenticated yet */
  if (lc->room_id == 0) {
    if (now >= lc->next_join_at) {
      if (lc->opt.create) {
        lobby_request(lc, "lobby", "\"op\":\"create\",\"name\":\"%s\",\"capacity\":%d", lc->opt.room_name,
                      lc->opt.capacity);
        lc->next_join_at = now + 3000000; /* once; the reply brings us in */
      } else {
        lobby_request(lc, "lobby", "\"op\":\"join\",\"name\":\"%s\"", lc->opt.room_name);
        lc->next_join_at = now + 250;
      }
    }
    return 0;
  }
  if (lc->members < lc->opt.room_size && lc->chat_sent == 0) return 0; /* wait for everyone */
  if (lc->chat_sent < lc->opt.chat_lines) {
    if (now >= lc->next_chat_at) {
      char text[96];
      snprintf(text, sizeof text, "hello %d from %s", lc->chat_sent + 1, lc->user);
      send_chat(lc, text);
      lc->next_chat_at = now + lc->opt.chat_interval_ms;
    }
    return 0;
  }
  if (!lc->ready_sent) {
    lobby_request(lc, "lobby", "\"op\":\"ready\"");
    lc->ready_sent = 1;
  }
  if (lc->host && !lc->started && !lc->start_sent && lc->ready_members == lc->members && lc->members >= 2) {
    lobby_request(lc, "lobby", "\"op\":\"start\"");
    lc->start_sent = 1;
  }
  /* Done when the match is on and everything we sent is resolved. */
  stats.struct_size = sizeof stats;
  tether_client_pool_stats(lc->client, &stats);
  return lc->started && stats.pending_acks == 0 && stats.queued == 0;
}

/* ---- interactive commands --------------------------------------------------------- */

static int run_command(lobby_client* lc, char* line) {
  char arg[TEXT] = "";
  int number = 0;
  line[strcspn(line, "\r\n")] = '\0';
  if (strcmp(line, "quit") == 0) return 1;
  if (strcmp(line, "list") == 0) lobby_request(lc, "lobby", "\"op\":\"list\"");
  else if (sscanf(line, "create %63s %d", arg, &number) == 2)
    lobby_request(lc, "lobby", "\"op\":\"create\",\"name\":\"%s\",\"capacity\":%d", arg, number);
  else if (sscanf(line, "join %d", &number) == 1) lobby_request(lc, "lobby", "\"op\":\"join\",\"room\":%d", number);
  else if (strcmp(line, "leave") == 0) lobby_request(lc, "lobby", "\"op\":\"leave\"");
  else if (strcmp(line, "ready") == 0) lobby_request(lc, "lobby", "\"op\":\"ready\"");
  else if (strcmp(line, "unready") == 0) lobby_request(lc, "lobby", "\"op\":\"unready\"");
  else if (strcmp(line, "start") == 0) lobby_request(lc, "lobby", "\"op\":\"start\"");
  else if (sscanf(line, "kick %63s", arg) == 1) lobby_request(lc, "lobby:kick", "\"target\":\"%s\"", arg);
  else if (strncmp(line, "say ", 4) == 0) send_chat(lc, line + 4);
  else if (line[0] != '\0')
    printf("commands: list | create NAME CAPACITY | join ID | leave | ready | unready | start | kick USER | "
           "say TEXT | quit\n");
  return 0;
}

/* ---- main --------------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: tether-lobby-client --url URL --token JWT [--name LABEL]\n"
          "       [--bot --room NAME [--create --capacity N] --room-size N --chat-lines N\n"
          "        --chat-interval-ms MS --max-run-ms MS]\n"
          "       [--sim-latency-ms MS --sim-drop-rate P --sim-from-ms MS --sim-until-ms MS] [--quiet]\n"
          "The token may also come from TETHER_TOKEN.\n");
}

static int parse_options(int argc, char** argv, options* o) {
  int i;
  memset(o, 0, sizeof *o);
  o->token = getenv("TETHER_TOKEN");
  o->name = "player";
  o->room_name = "lobby-room";
  o->capacity = 4;
  o->room_size = 2;
  o->chat_lines = 10;
  o->chat_interval_ms = 100;
  o->frame_ms = 16; /* ~60 frames per second */
  o->max_run_ms = 90000;
  for (i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--bot") == 0) { o->bot = 1; continue; }
    if (strcmp(a, "--create") == 0) { o->create = 1; continue; }
    if (strcmp(a, "--quiet") == 0) { o->quiet = 1; continue; }
    if (v == NULL) return 0;
    ++i;
    if (strcmp(a, "--url") == 0) o->url = v;
    else if (strcmp(a, "--token") == 0) o->token = v;
    else if (strcmp(a, "--name") == 0) o->name = v;
    else if (strcmp(a, "--room") == 0) o->room_name = v;
    else if (strcmp(a, "--capacity") == 0) o->capacity = atoi(v);
    else if (strcmp(a, "--room-size") == 0) o->room_size = atoi(v);
    else if (strcmp(a, "--chat-lines") == 0) o->chat_lines = atoi(v);
    else if (strcmp(a, "--chat-interval-ms") == 0) o->chat_interval_ms = atoi(v);
    else if (strcmp(a, "--max-run-ms") == 0) o->max_run_ms = atoll(v);
    else if (strcmp(a, "--sim-latency-ms") == 0) o->sim_latency_ms = atoll(v);
    else if (strcmp(a, "--sim-drop-rate") == 0) o->sim_drop_rate = atof(v);
    else if (strcmp(a, "--sim-from-ms") == 0) o->sim_from_ms = atoll(v);
    else if (strcmp(a, "--sim-until-ms") == 0) o->sim_until_ms = atoll(v);
    else return 0;
  }
  return o->url != NULL && o->token != NULL;
}

int main(int argc, char** argv) {
  lobby_client lc;
  tether_config config;
  int32_t rc;
  int done = 0, sim_on = 0, i;
  uint64_t unique = 0, dup = 0;
  tether_stats stats;

  memset(&lc, 0, sizeof lc);
  if (!parse_options(argc, argv, &lc.opt)) {
    usage();
    return 2;
  }
  lc.t0 = platform_now_ms();
  tether_config_init(&config);
  config.url = lc.opt.url;
  config.token = lc.opt.token;
  config.backoff_initial_ms = 200;
  config.backoff_max_ms = 2000;
  config.backoff_max_attempts = 0;
  config.heartbeat_interval_ms = 2000;
  config.heartbeat_timeout_ms = 1500;
  config.ack_timeout_ms = 1000;
  config.ack_max_retries = 100;
  rc = tether_client_create(&config, &lc.client);
  if (rc != TETHER_OK) {
    fprintf(stderr, "cannot create client: %s\n", tether_result_string(rc));
    return 1;
  }
  tether_client_connect(lc.client);
  if (!lc.opt.bot) printf("type 'help' for commands\n");

  while (!done) {
    const int64_t now = platform_now_ms();
    const int64_t elapsed = now - lc.t0;
    int32_t count = tether_client_pump(lc.client);
    for (i = 0; i < count; ++i) on_event(&lc, tether_client_event(lc.client, (uint32_t)i));

    /* The network simulator: bad weather for part of the run. */
    if (lc.opt.sim_until_ms > lc.opt.sim_from_ms) {
      const int want = elapsed >= lc.opt.sim_from_ms && elapsed < lc.opt.sim_until_ms;
      if (want != sim_on) {
        sim_on = want;
        tether_client_simulate(lc.client, sim_on ? lc.opt.sim_latency_ms : 0, sim_on ? lc.opt.sim_drop_rate : 0);
        say(&lc, sim_on ? "network simulator on: +%lld ms latency, %.0f%% drops" : "network simulator off",
            (long long)lc.opt.sim_latency_ms, lc.opt.sim_drop_rate * 100);
      }
    }
    if (lc.opt.bot) {
      done = bot_step(&lc, now);
    } else {
      char line[TEXT];
      if (platform_stdin_line(line, sizeof line)) done = run_command(&lc, line);
    }
    if (elapsed > lc.opt.max_run_ms) {
      say(&lc, "giving up after %lld ms", (long long)lc.opt.max_run_ms);
      break;
    }
    platform_sleep_ms(lc.opt.frame_ms);
  }

  stats.struct_size = sizeof stats;
  tether_client_pool_stats(lc.client, &stats);
  if (lc.opt.bot) {
    for (i = 0; i < lc.peer_count; ++i) {
      unique += lc.peers[i].unique;
      dup += lc.peers[i].dup;
      printf("recv user=%s from=%s unique=%llu dup=%llu gaps=%llu\n", lc.user, lc.peers[i].user,
             (unsigned long long)lc.peers[i].unique, (unsigned long long)lc.peers[i].dup,
             (unsigned long long)lc.peers[i].gaps);
    }
    printf("summary user=%s room=%u sent=%d acked=%llu failed=%llu delivered=%llu duplicated=%llu "
           "reconnects=%llu started=%d done=%d\n",
           lc.user, lc.room_id, lc.chat_sent, (unsigned long long)lc.acked, (unsigned long long)lc.failed,
           (unsigned long long)unique, (unsigned long long)dup, (unsigned long long)stats.reconnects, lc.started,
           done);
  }
  tether_client_close(lc.client);
  tether_client_destroy(lc.client);
  return lc.opt.bot && !done ? 1 : 0;
}
