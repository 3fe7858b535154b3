/* tether-cluster-bot: a chat bot for a cluster of plain tether-server nodes,
 * in C99 using only tether.h (scripts/demo.sh --cluster runs a few).
 *
 * It subscribes to its room (a plain channel, e.g. room:Red), says hello
 * until it has heard every other member, then sends --lines reliable lines
 * numbered 1..L and checks that every other member's lines reach it exactly
 * once and in order, whichever node each member is on and whichever node
 * dies. Its --url list is the cluster: when its node dies it moves to the
 * next one and takes its session over there (READY with RESUMED). A READY
 * without RESUMED after the first would be a new session: the old one's
 * messages lost, so the bot reports it. At exit it prints `recv` lines (per
 * sender) and a `summary` line that scripts/demo.sh adds up.
 *
 *   tether-cluster-bot --url node1=ws://A --url node2=ws://B --token JWT --name red-1 --room room:Red
 *                      --room-size 3
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "tether/tether.h"

#define MAX_URLS 8
#define MAX_MEMBERS 16
#define MAX_LINES 100000
#define NAME_SIZE 32
#define LISTED 16 /* line numbers listed per problem in a `recv` line */

/* What this bot heard from one member of its room (itself included: the
 * server echoes a publish to its publisher). */
typedef struct member {
  char name[NAME_SIZE];
  uint16_t* copies;       /* copies[n]: deliveries of line n, 1..lines */
  uint64_t unique;        /* lines delivered at least once */
  uint64_t duplicated;    /* deliveries beyond the first */
  uint64_t out_of_order;  /* first deliveries below the highest line seen */
  uint64_t unexpected;    /* numbers outside 1..lines */
  int64_t highest;
} member;

typedef struct options {
  const char* urls[MAX_URLS];
  const char* labels[MAX_URLS]; /* the name before the url in --url NAME=URL, or the url */
  int label_lengths[MAX_URLS];
  uint32_t url_count;
  const char* token;
  const char* name;
  const char* room;
  int room_size;  /* members, this bot included */
  int lines;
  int interval_ms;
  int hello_ms;   /* hello this often until every member was heard */
  int linger_ms;  /* stay this long after everything arrived: a duplicate would show */
  int frame_ms;
  int64_t max_run_ms;
} options;

typedef struct bot {
  options opt;
  tether_client* client;
  int64_t t0;
  int subscribed;
  int chatting;
  int sent;
  uint64_t acked, failed, send_errors, complaints;
  uint32_t readies, failovers, resumed, fresh;
  int64_t next_send_at, done_at;
  member members[MAX_MEMBERS];
  int member_count;
} bot;

/* ---- output ------------------------------------------------------------------ */

static void say(const bot* b, const char* fmt, ...) {
  va_list args;
  printf("[%6.2fs] %-8s ", (double)(platform_now_ms() - b->t0) / 1000.0, b->opt.name);
  va_start(args, fmt);
  vprintf(fmt, args);
  va_end(args);
  printf("\n");
  fflush(stdout);
}

/* The name of the server this bot's connection is on, or tries next. */
static const char* server_name(const bot* b, int* length) {
  tether_stats stats;
  memset(&stats, 0, sizeof stats);
  stats.struct_size = sizeof stats;
  if (tether_client_connection_stats(b->client, 0, &stats) != TETHER_OK || stats.url_index >= b->opt.url_count) {
    *length = 1;
    return "?";
  }
  *length = b->opt.label_lengths[stats.url_index];
  return b->opt.labels[stats.url_index];
}

/* ---- payloads: {"from":"red-1","n":7,"text":"..."} and {"hello":"red-1"} ------- */

/* The value after "key": in json[0..len), or NULL. The bots write compact JSON. */
static const char* json_value(const char* json, size_t len, const char* key) {
  char pattern[NAME_SIZE + 4];
  size_t plen, i;
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  plen = strlen(pattern);
  for (i = 0; i + plen <= len; ++i) {
    if (memcmp(json + i, pattern, plen) == 0) return json + i + plen;
  }
  return NULL;
}

static int json_name(const char* json, size_t len, const char* key, char* out) {
  const char* v = json_value(json, len, key);
  size_t n = 0;
  if (v == NULL || *v != '"') return 0;
  for (++v; v < json + len && *v != '"' && n + 1 < NAME_SIZE; ++v) out[n++] = *v;
  out[n] = '\0';
  return n > 0;
}

static member* find_member(bot* b, const char* name) {
  int i;
  member* m;
  for (i = 0; i < b->member_count; ++i) {
    if (strcmp(b->members[i].name, name) == 0) return &b->members[i];
  }
  if (b->member_count == MAX_MEMBERS) return NULL;
  m = &b->members[b->member_count];
  memset(m, 0, sizeof *m);
  m->copies = (uint16_t*)calloc((size_t)b->opt.lines + 1, sizeof *m->copies);
  if (m->copies == NULL) return NULL;
  snprintf(m->name, sizeof m->name, "%s", name);
  ++b->member_count;
  return m;
}

static int others_heard(const bot* b) {
  int i, count = 0;
  for (i = 0; i < b->member_count; ++i) count += strcmp(b->members[i].name, b->opt.name) != 0;
  return count;
}

static void on_line(bot* b, const tether_event* e) {
  char from[NAME_SIZE];
  const char* number;
  member* m;
  int64_t n;
  if (json_name(e->data, e->data_len, "hello", from)) {
    find_member(b, from);
    return;
  }
  number = json_value(e->data, e->data_len, "n");
  if (!json_name(e->data, e->data_len, "from", from) || number == NULL || (e->flags & TETHER_EVENT_FLAG_RELIABLE) == 0) {
    ++b->complaints;
    say(b, "unexpected message on %.*s: %.*s", (int)e->channel_len, e->channel, (int)e->data_len, e->data);
    return;
  }
  m = find_member(b, from);
  if (m == NULL) return;
  n = strtoll(number, NULL, 10);
  if (n < 1 || n > b->opt.lines) {
    ++m->unexpected;
    return;
  }
  if (m->copies[n] < UINT16_MAX) ++m->copies[n];
  if (m->copies[n] > 1) {
    ++m->duplicated;
    return;
  }
  ++m->unique;
  if (n < m->highest) ++m->out_of_order;
  if (n > m->highest) m->highest = n;
}

/* ---- events ---------------------------------------------------------------------- */

static void on_state(bot* b, const tether_event* e) {
  int server_length = 0;
  const char* server = server_name(b, &server_length);
  if (e->state == TETHER_STATE_READY) {
    const int resumed = (e->flags & TETHER_EVENT_FLAG_RESUMED) != 0;
    if (b->readies++ == 0) {
      say(b, "ready on %.*s", server_length, server);
      return;
    }
    ++b->failovers;
    if (resumed) {
      ++b->resumed;
      say(b, "ready on %.*s: session taken over, nothing lost", server_length, server);
    } else {
      ++b->fresh;
      say(b, "ready on %.*s: NEW SESSION (the old one was lost)", server_length, server);
    }
  } else if (e->state == TETHER_STATE_RECONNECTING) {
    say(b, "connection lost (code %u%s%.*s): attempt %u on %.*s in %lld ms", e->close_code,
        e->reason_len ? ", " : "", (int)e->reason_len, e->reason, e->attempt, server_length, server,
        (long long)e->delay_ms);
  } else if (e->state != TETHER_STATE_CONNECTING && e->state != TETHER_STATE_AUTHENTICATING) {
    say(b, "state: %s", tether_state_string(e->state));
  }
}

static void on_event(bot* b, const tether_event* e) {
  switch (e->type) {
    case TETHER_EVENT_STATE_CHANGED: on_state(b, e); break;
    case TETHER_EVENT_SUBSCRIBED:
      if (!b->subscribed) say(b, "subscribed to %.*s", (int)e->channel_len, e->channel);
      b->subscribed = 1;
      break;
    case TETHER_EVENT_MESSAGE: on_line(b, e); break;
    case TETHER_EVENT_ACK: ++b->acked; break;
    case TETHER_EVENT_SEND_FAILED:
      ++b->failed;
      say(b, "send %llu failed (outcome %u)", (unsigned long long)e->message_id, e->outcome);
      break;
    case TETHER_EVENT_ERROR:
    case TETHER_EVENT_AUTH_FAILED:
    case TETHER_EVENT_PERMISSION_DENIED:
    case TETHER_EVENT_UNSUBSCRIBED:
      /* Nothing of these should happen here: the lines say why (history_lost, ...). */
      ++b->complaints;
      say(b, "%s: %.*s %.*s", tether_event_type_string(e->type), (int)e->code_len, e->code, (int)e->reason_len,
          e->reason);
      break;
    default: break;
  }
}

/* ---- the bot's work, one step per frame --------------------------------------------- */

static void send_json(bot* b, const char* json, uint32_t flags) {
  uint64_t id = 0;
  const int32_t rc = tether_client_send(b->client, b->opt.room, json, strlen(json), flags, &id);
  if (rc == TETHER_OK) {
    if (flags & TETHER_SEND_RELIABLE) ++b->sent;
    return;
  }
  ++b->send_errors;
  say(b, "send refused: %s (%s)", tether_result_string(rc), tether_client_last_error(b->client));
}

static int everything_arrived(const bot* b) {
  int i;
  if (others_heard(b) < b->opt.room_size - 1) return 0;
  for (i = 0; i < b->member_count; ++i) {
    if (b->members[i].unique < (uint64_t)b->opt.lines) return 0;
  }
  return 1;
}

/* Returns 1 once the bot is finished. */
static int bot_step(bot* b, int64_t now) {
  char json[160];
  if (!b->subscribed) return 0;
  if (!b->chatting) {
    /* Unreliable and repeated: whoever subscribes later still hears one. A
     * hello (or a line) from a member means its subscription is in force,
     * so from then on it gets everything this bot sends. */
    if (now >= b->next_send_at) {
      snprintf(json, sizeof json, "{\"hello\":\"%s\"}", b->opt.name);
      send_json(b, json, 0);
      b->next_send_at = now + b->opt.hello_ms;
    }
    if (others_heard(b) < b->opt.room_size - 1) return 0;
    b->chatting = 1;
    b->next_send_at = now;
    say(b, "all %d members are in %s: chatting", b->opt.room_size, b->opt.room);
  }
  if (b->sent < b->opt.lines && now >= b->next_send_at) {
    snprintf(json, sizeof json, "{\"from\":\"%s\",\"n\":%d,\"text\":\"hello %d from %s\"}", b->opt.name,
             b->sent + 1, b->sent + 1, b->opt.name);
    send_json(b, json, TETHER_SEND_RELIABLE);
    b->next_send_at = now + b->opt.interval_ms;
    if (b->sent == b->opt.lines) say(b, "sent all %d lines", b->opt.lines);
  }
  if (b->done_at == 0 && b->sent == b->opt.lines && b->acked + b->failed == (uint64_t)b->sent &&
      everything_arrived(b)) {
    say(b, "all %d lines acked, and every member's %d arrived", b->sent, b->opt.lines);
    b->done_at = now + b->opt.linger_ms;
  }
  return b->done_at != 0 && now >= b->done_at;
}

/* ---- the report ------------------------------------------------------------------------- */

/* " missing=3,4,9" or " repeated=5": the lines of `m` delivered `none` ? 0 : >1 times. */
static void list_lines(const bot* b, const member* m, int none, const char* label) {
  int n, listed = 0;
  for (n = 1; n <= b->opt.lines; ++n) {
    if (none ? m->copies[n] != 0 : m->copies[n] <= 1) continue;
    if (listed == LISTED) {
      printf(",...");
      break;
    }
    printf("%s%d", listed++ == 0 ? label : ",", n);
  }
}

static void report(const bot* b, int done) {
  int i;
  uint64_t received = 0, duplicated = 0, lost = 0;
  for (i = 0; i < b->member_count; ++i) {
    const member* m = &b->members[i];
    const uint64_t missing = (uint64_t)b->opt.lines - m->unique;
    printf("recv bot=%s room=%s from=%s unique=%llu dup=%llu lost=%llu out_of_order=%llu unexpected=%llu",
           b->opt.name, b->opt.room, m->name, (unsigned long long)m->unique, (unsigned long long)m->duplicated,
           (unsigned long long)missing, (unsigned long long)m->out_of_order, (unsigned long long)m->unexpected);
    list_lines(b, m, 1, " missing=");
    list_lines(b, m, 0, " repeated=");
    printf("\n");
    if (strcmp(m->name, b->opt.name) == 0) continue;
    received += m->unique;
    duplicated += m->duplicated;
    lost += missing;
  }
  lost += (uint64_t)(b->opt.room_size - 1 - others_heard(b)) * (uint64_t)b->opt.lines; /* never heard */
  printf("summary bot=%s room=%s members=%d heard=%d sent=%d acked=%llu failed=%llu send_errors=%llu "
         "received=%llu duplicated=%llu lost=%llu failovers=%u resumed=%u fresh=%u complaints=%llu done=%d\n",
         b->opt.name, b->opt.room, b->opt.room_size, others_heard(b) + 1, b->sent, (unsigned long long)b->acked,
         (unsigned long long)b->failed, (unsigned long long)b->send_errors, (unsigned long long)received,
         (unsigned long long)duplicated, (unsigned long long)lost, b->failovers, b->resumed, b->fresh,
         (unsigned long long)b->complaints, done);
  fflush(stdout);
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: tether-cluster-bot --url [LABEL=]URL [--url ...]... --token JWT --name NAME --room CHANNEL\n"
          "       [--room-size N] [--lines N] [--interval-ms MS] [--max-run-ms MS]\n"
          "The urls are tried in order (the first is where the bot starts); the label names the\n"
          "server in the output. The token may come from TETHER_TOKEN. NAME is letters, digits,\n"
          "'-' and '_'.\n");
}

/* --url [LABEL=]URL */
static void add_url(options* o, const char* value) {
  const char* equals = strchr(value, '=');
  const char* scheme = strstr(value, "://");
  const char* url = equals != NULL && scheme != NULL && equals < scheme ? equals + 1 : value;
  o->labels[o->url_count] = value;
  o->label_lengths[o->url_count] = (int)(url == value ? strlen(value) : (size_t)(equals - value));
  o->urls[o->url_count++] = url;
}

static int parse_options(int argc, char** argv, options* o) {
  int i;
  memset(o, 0, sizeof *o);
  o->token = getenv("TETHER_TOKEN");
  o->room_size = 2;
  o->lines = 20;
  o->interval_ms = 100;
  o->hello_ms = 200;
  o->linger_ms = 300;
  o->frame_ms = 10;
  o->max_run_ms = 60000;
  for (i = 1; i + 1 < argc; i += 2) {
    const char* a = argv[i];
    const char* v = argv[i + 1];
    if (strcmp(a, "--url") == 0 && o->url_count < MAX_URLS) add_url(o, v);
    else if (strcmp(a, "--token") == 0) o->token = v;
    else if (strcmp(a, "--name") == 0) o->name = v;
    else if (strcmp(a, "--room") == 0) o->room = v;
    else if (strcmp(a, "--room-size") == 0) o->room_size = atoi(v);
    else if (strcmp(a, "--lines") == 0) o->lines = atoi(v);
    else if (strcmp(a, "--interval-ms") == 0) o->interval_ms = atoi(v);
    else if (strcmp(a, "--max-run-ms") == 0) o->max_run_ms = atoll(v);
    else return 0;
  }
  return i == argc && o->url_count > 0 && o->token != NULL && o->name != NULL &&
         strspn(o->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == strlen(o->name) &&
         strlen(o->name) > 0 && strlen(o->name) < NAME_SIZE && o->room != NULL && o->room_size >= 1 &&
         o->room_size <= MAX_MEMBERS && o->lines >= 1 && o->lines <= MAX_LINES && o->interval_ms >= 0;
}

int main(int argc, char** argv) {
  bot b;
  tether_config config;
  int32_t rc;
  int done = 0, i;

  memset(&b, 0, sizeof b);
  if (!parse_options(argc, argv, &b.opt)) {
    usage();
    return 2;
  }
  b.t0 = platform_now_ms();
  tether_config_init(&config);
  config.urls = b.opt.urls;
  config.url_count = b.opt.url_count;
  config.token = b.opt.token;
  /* A dead node refuses at once: move on quickly, and never give up. */
  config.backoff_initial_ms = 100;
  config.backoff_max_ms = 1000;
  config.backoff_max_attempts = 0;
  config.heartbeat_interval_ms = 2000;
  config.heartbeat_timeout_ms = 1500;
  config.ack_timeout_ms = 1000;
  config.ack_max_retries = 100;
  rc = tether_client_create(&config, &b.client);
  if (rc != TETHER_OK) {
    fprintf(stderr, "cannot create client: %s (%s)\n", tether_result_string(rc), tether_client_last_error(NULL));
    return 1;
  }
  rc = tether_client_subscribe(b.client, b.opt.room);
  if (rc == TETHER_OK) rc = tether_client_connect(b.client);
  if (rc != TETHER_OK) {
    fprintf(stderr, "cannot start: %s (%s)\n", tether_result_string(rc), tether_client_last_error(b.client));
    tether_client_destroy(b.client);
    return 1;
  }

  while (!done) {
    const int64_t now = platform_now_ms();
    const int32_t count = tether_client_pump(b.client);
    for (i = 0; i < count; ++i) on_event(&b, tether_client_event(b.client, (uint32_t)i));
    done = bot_step(&b, now);
    if (!done && now - b.t0 > b.opt.max_run_ms) {
      say(&b, "giving up after %lld ms", (long long)b.opt.max_run_ms);
      break;
    }
    if (!done) platform_sleep_ms(b.opt.frame_ms);
  }

  report(&b, done);
  tether_client_close(b.client);
  tether_client_destroy(b.client);
  for (i = 0; i < b.member_count; ++i) free(b.members[i].copies);
  return done && b.fresh == 0 && b.complaints == 0 && b.send_errors == 0 ? 0 : 1;
}
