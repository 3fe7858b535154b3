/* c_chat: a terminal chat over Tether, in plain C99.
 *
 *   c_chat --url ws://127.0.0.1:8080 --token $JWT --channel lobby
 *
 * Joins (subscribes to) a channel and sends each line typed as a reliable
 * message {"text":"..."}, printing acks, incoming messages and every state
 * change, including reconnects when the server restarts. For scripts and
 * tests, --count N sends N numbered lines each time the client becomes
 * ready and exits once they are acked after --reconnects K reconnects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "tether/tether.h"

#define FRAME_MS 16
#define MAX_LINE 1024

typedef struct options {
  const char* url;
  const char* token;
  const char* channel;
  long count;          /* 0 = interactive */
  long reconnects;     /* script mode: reconnects to see before exiting */
  long timeout_ms;     /* script mode, and after EOF: give up after this long */
} options;

typedef struct chat {
  tether_client* client;
  const options* opts;
  long sent;
  long acked;
  long failed;
  long readies;  /* times connection 0 became ready */
  int input_ended; /* interactive: EOF seen, waiting for the last acks */
  int stop;      /* 0 = run, else the exit code + 1 */
} chat;

static void usage(void) {
  fprintf(stderr,
          "usage: c_chat [--url URL] [--token JWT] [--channel NAME] [--count N [--reconnects K] "
          "[--timeout-ms MS]]\n"
          "  URL and JWT default to $TETHER_URL and $TETHER_TOKEN; the channel to \"lobby\".\n"
          "  Without --count, each line on stdin is sent; end with EOF (Ctrl-D).\n");
}

static int parse_options(int argc, char** argv, options* o) {
  int i;
  o->url = getenv("TETHER_URL");
  o->token = getenv("TETHER_TOKEN");
  o->channel = "lobby";
  o->count = 0;
  o->reconnects = 0;
  o->timeout_ms = 30000;
  /* Every option takes a value: consume them in pairs. */
  for (i = 1; i < argc; i += 2) {
    const char* flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : NULL;
    if (value == NULL) return 0;
    if (strcmp(flag, "--url") == 0) o->url = value;
    else if (strcmp(flag, "--token") == 0) o->token = value;
    else if (strcmp(flag, "--channel") == 0) o->channel = value;
    else if (strcmp(flag, "--count") == 0) o->count = strtol(value, NULL, 10);
    else if (strcmp(flag, "--reconnects") == 0) o->reconnects = strtol(value, NULL, 10);
    else if (strcmp(flag, "--timeout-ms") == 0) o->timeout_ms = strtol(value, NULL, 10);
    else return 0;
  }
  return o->url != NULL && o->token != NULL && o->count >= 0 && o->reconnects >= 0;
}

/* Writes `text` as the JSON object {"text":"..."} into out (size >= 2*len+16). */
static size_t chat_json(const char* text, char* out) {
  size_t n = 0;
  const unsigned char* p;
  n += (size_t)sprintf(out, "{\"text\":\"");
  for (p = (const unsigned char*)text; *p != '\0'; ++p) {
    if (*p == '"' || *p == '\\') {
      out[n++] = '\\';
      out[n++] = (char)*p;
    } else if (*p < 0x20) {
      n += (size_t)sprintf(out + n, "\\u%04x", *p);
    } else {
      out[n++] = (char)*p;
    }
  }
  n += (size_t)sprintf(out + n, "\"}");
  return n;
}

static void send_line(chat* c, const char* text) {
  char json[MAX_LINE * 6 + 16];
  uint64_t id = 0;
  const size_t length = chat_json(text, json);
  const int32_t result = tether_client_send(c->client, c->opts->channel, json, length, TETHER_SEND_RELIABLE, &id);
  if (result != TETHER_OK) {
    printf("send refused: %s (%s)\n", tether_result_string(result), tether_client_last_error(c->client));
    return;
  }
  ++c->sent;
  printf("sent #%llu: %s\n", (unsigned long long)id, text);
}

static void send_numbered_lines(chat* c) {
  long i;
  char text[64];
  for (i = 1; i <= c->opts->count; ++i) {
    sprintf(text, "line %ld of round %ld", i, c->readies);
    send_line(c, text);
  }
}

static void on_state(chat* c, const tether_event* e) {
  switch (e->state) {
    case TETHER_STATE_READY:
      printf("state: ready%s\n", (e->flags & TETHER_EVENT_FLAG_RESUMED) ? " (resumed)" : "");
      if (e->connection == 0) {
        ++c->readies;
        if (c->opts->count > 0 && c->readies <= c->opts->reconnects + 1) send_numbered_lines(c);
      }
      break;
    case TETHER_STATE_RECONNECTING:
      printf("state: reconnecting (attempt %u, next try in %lld ms, after close %u: %s)\n", e->attempt,
             (long long)e->delay_ms, e->close_code, e->reason);
      break;
    case TETHER_STATE_GAVE_UP:
    case TETHER_STATE_UNAUTHORIZED:
      printf("state: %s\n", tether_state_string(e->state));
      if (c->opts->count > 0) c->stop = 3 + 1;
      break;
    default:
      printf("state: %s\n", tether_state_string(e->state));
      break;
  }
}

static void on_event(chat* c, const tether_event* e) {
  switch (e->type) {
    case TETHER_EVENT_STATE_CHANGED: on_state(c, e); break;
    case TETHER_EVENT_AUTH_OK: printf("auth: ok as %s\n", e->user_id); break;
    case TETHER_EVENT_AUTH_FAILED: printf("auth: failed (%s) %s\n", e->code, e->reason); break;
    case TETHER_EVENT_SUBSCRIBED: printf("joined: %s\n", e->channel); break;
    case TETHER_EVENT_MESSAGE: printf("message on %s: %s\n", e->channel, e->data); break;
    case TETHER_EVENT_ACK:
      ++c->acked;
      printf("ack #%llu\n", (unsigned long long)e->message_id);
      break;
    case TETHER_EVENT_SEND_FAILED:
      ++c->failed;
      printf("send failed #%llu (outcome %u)\n", (unsigned long long)e->message_id, e->outcome);
      break;
    case TETHER_EVENT_PERMISSION_DENIED: printf("denied: %s on %s (%s)\n", e->action, e->channel, e->reason); break;
    case TETHER_EVENT_TRANSPORT_ERROR: printf("transport error: %s (%s)\n", e->code, e->reason); break;
    case TETHER_EVENT_ERROR: printf("error: %s (%s)\n", e->code, e->reason); break;
    case TETHER_EVENT_TOKEN_EXPIRING: printf("token expiring: %s\n", e->reason); break;
    default: break;
  }
}

/* Script mode is done once every round was sent and resolved. */
static int script_finished(const chat* c) {
  const long rounds = c->opts->reconnects + 1;
  return c->readies >= rounds && c->sent == rounds * c->opts->count && c->acked + c->failed == c->sent;
}

static void read_stdin_line(chat* c) {
  char line[MAX_LINE];
  size_t length;
  if (fgets(line, sizeof line, stdin) == NULL) {
    c->input_ended = 1;  /* leave once what was sent has resolved */
    return;
  }
  length = strlen(line);
  while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = '\0';
  if (length > 0) send_line(c, line);
}

int main(int argc, char** argv) {
  options opts;
  tether_config config;
  chat c;
  long waited_ms = 0;
  int32_t result;

  if (!parse_options(argc, argv, &opts)) {
    usage();
    return 1;
  }
  memset(&c, 0, sizeof c);
  c.opts = &opts;

  tether_config_init(&config);
  config.url = opts.url;
  config.token = opts.token;
  config.backoff_max_attempts = 0; /* a chat keeps trying */
  config.log_level = TETHER_LOG_OFF;
  result = tether_client_create(&config, &c.client);
  if (result != TETHER_OK) {
    fprintf(stderr, "c_chat: %s: %s\n", tether_result_string(result), tether_client_last_error(NULL));
    return 1;
  }
  tether_client_subscribe(c.client, opts.channel);
  tether_client_connect(c.client);

  while (!c.stop) {
    int32_t i;
    const int32_t count = tether_client_pump(c.client);
    for (i = 0; i < count; ++i) on_event(&c, tether_client_event(c.client, (uint32_t)i));
    fflush(stdout);
    if (opts.count > 0) {
      if (script_finished(&c)) {
        c.stop = (c.failed == 0 ? 0 : 2) + 1;
      } else if (waited_ms >= opts.timeout_ms) {
        printf("timed out\n");
        c.stop = 2 + 1;
      }
      console_sleep_ms(FRAME_MS);
      waited_ms += FRAME_MS;
    } else if (c.input_ended) {
      if (c.acked + c.failed == c.sent || waited_ms >= opts.timeout_ms) c.stop = 0 + 1;
      console_sleep_ms(FRAME_MS);
      waited_ms += FRAME_MS;
    } else if (console_input_ready(FRAME_MS)) {
      read_stdin_line(&c);
    }
  }
  printf("done: %ld sent, %ld acked, %ld failed, %ld reconnects\n", c.sent, c.acked, c.failed,
         c.readies > 0 ? c.readies - 1 : 0);
  tether_client_destroy(c.client);
  return c.stop - 1;
}
