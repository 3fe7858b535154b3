/*
 * tether.h: the C API of Tether, a real-time WebSocket client for games.
 *
 * This header is the contract: what is not written here is not API. It is
 * C99 and C++; only <stdint.h> and <stddef.h> types cross the boundary.
 *
 * The model, in one paragraph: create a client from a config, connect, then
 * call tether_client_pump() once per frame and read the events it made
 * available. Commands (send, subscribe, close, ...) return at once; their
 * network outcomes (acks, failures, state changes) arrive later as events.
 * Nothing is ever called back: the library owns an internal I/O thread that
 * keeps heartbeats, acks and reconnects running whatever the frame rate, but
 * the host sees its results only through pump().
 *
 *     tether_config config;
 *     tether_config_init(&config);
 *     config.url = "wss://game.example.com/ws";
 *     config.token = jwt;
 *     tether_client* client;
 *     if (tether_client_create(&config, &client) != TETHER_OK) { ... }
 *     tether_client_subscribe(client, "room:7");
 *     tether_client_connect(client);
 *     for (;;) {  // each frame
 *       int32_t n = tether_client_pump(client);
 *       for (int32_t i = 0; i < n; ++i) {
 *         const tether_event* e = tether_client_event(client, (uint32_t)i);
 *         if (e->type == TETHER_EVENT_MESSAGE) handle(e->channel, e->data, e->data_len);
 *       }
 *     }
 *     tether_client_destroy(client);
 *
 * Results: every function that can fail returns an int32_t result, TETHER_OK
 * (0) or a negative TETHER_ERROR_*; tether_client_last_error() has detail.
 *
 * Threads: unless a function says otherwise it may be called from any thread,
 * concurrently with any other call. pump() and event() form one exception:
 * one thread at a time per client (normally the game's main thread). The
 * network work runs on an internal thread, or inside pump() with
 * TETHER_IO_PUMP (tether_config.io_mode).
 * tether_client_destroy() waits for calls in progress on other threads.
 */
#ifndef TETHER_TETHER_H
#define TETHER_TETHER_H

#include <stddef.h>
#include <stdint.h>

/* ---- Export macro ---------------------------------------------------------
 * TETHER_STATIC: linking Tether statically (no import/export decoration).
 * TETHER_BUILDING: defined by Tether's own build of the shared library.
 * Otherwise: a consumer of the shared library. */
#if defined(TETHER_STATIC)
#define TETHER_API
#elif defined(_WIN32) || defined(__CYGWIN__)
#if defined(TETHER_BUILDING)
#define TETHER_API __declspec(dllexport)
#else
#define TETHER_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define TETHER_API __attribute__((visibility("default")))
#else
#define TETHER_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Version ---------------------------------------------------------------
 * Compile-time version of this header. Within one major version the ABI only
 * grows: structs gain fields at their end (struct_size tells the library
 * which ones a caller knows), enums and result codes gain values. */
#define TETHER_VERSION_MAJOR 0
#define TETHER_VERSION_MINOR 2
#define TETHER_VERSION_PATCH 0
#define TETHER_MAKE_VERSION(major, minor, patch) \
  ((uint32_t)(((uint32_t)(major) << 16) | ((uint32_t)(minor) << 8) | (uint32_t)(patch)))
#define TETHER_VERSION \
  TETHER_MAKE_VERSION(TETHER_VERSION_MAJOR, TETHER_VERSION_MINOR, TETHER_VERSION_PATCH)

/* The version of the library actually loaded, as TETHER_MAKE_VERSION encodes
 * it; compare with TETHER_VERSION to detect a header/library mismatch.
 * Thread safety: any thread. */
TETHER_API uint32_t tether_version(void);

/* The loaded library's version as static text, e.g. "0.2.0".
 * Lifetime: static. Thread safety: any thread. */
TETHER_API const char* tether_version_string(void);

/* ---- Results ---------------------------------------------------------------
 * Returned as int32_t. Values are appended and never renumbered. A result
 * covers only misuse and immediate state; network failures, auth rejection
 * and ack timeouts arrive later as events. */
typedef enum tether_result {
  TETHER_OK = 0,                        /* success */
  TETHER_ERROR_INVALID_ARGUMENT = -1,   /* a NULL pointer, bad struct_size or out-of-range value */
  TETHER_ERROR_INVALID_HANDLE = -2,     /* not a live client: NULL, destroyed, or never created */
  TETHER_ERROR_INVALID_CONFIG = -3,     /* the config was rejected; last_error says which field */
  TETHER_ERROR_INVALID_PAYLOAD = -4,    /* not one JSON value, invalid UTF-8, or nested too deep */
  TETHER_ERROR_PAYLOAD_TOO_LARGE = -5,  /* channel plus payload would not fit in one frame: of
                                           max_message_bytes or, once known, the server's limit */
  TETHER_ERROR_QUEUE_FULL = -6,         /* the outbound queue is at its message or byte limit */
  TETHER_ERROR_PERMISSION_DENIED = -7,  /* the server's permissions forbid this channel action */
  TETHER_ERROR_WRONG_STATE = -8,        /* closed or gave up: call tether_client_connect() first */
  TETHER_ERROR_INVALID_CHANNEL = -9,    /* channel name empty, over 256 bytes, not valid UTF-8,
                                           or containing NUL */
  TETHER_ERROR_OUT_OF_MEMORY = -10,     /* an allocation failed; nothing changed */
  TETHER_ERROR_INTERNAL = -11,          /* a bug in Tether; last_error has detail */
  TETHER_ERROR_UNSUPPORTED = -12,       /* a binary payload, and the server's connection does
                                           not take binary (an older server) */
  TETHER_RESULT_FORCE_32 = 0x7fffffff
} tether_result;

/* Static text naming a result, e.g. "queue full"; "unknown result" for any
 * other value. Lifetime: static. Thread safety: any thread. */
TETHER_API const char* tether_result_string(int32_t result);

/* ---- Enumerations ----------------------------------------------------------
 * Struct fields and parameters carry these as uint32_t/int32_t, so their
 * size never depends on the compiler. */

/* Connection state, per pool connection. */
typedef enum tether_state {
  TETHER_STATE_IDLE = 0,            /* created, never connected */
  TETHER_STATE_CONNECTING = 1,      /* opening the transport (TCP, TLS, WebSocket) */
  TETHER_STATE_AUTHENTICATING = 2,  /* open; the token was sent, waiting for the server */
  TETHER_STATE_READY = 3,           /* authenticated: traffic flows (RESUMED flag: session kept) */
  TETHER_STATE_RECONNECTING = 4,    /* waiting `delay_ms` before reconnect attempt `attempt` */
  TETHER_STATE_CLOSED = 5,          /* closed by the host; never reconnects by itself */
  TETHER_STATE_GAVE_UP = 6,         /* backoff_max_attempts consecutive failures */
  TETHER_STATE_UNAUTHORIZED = 7,    /* the server rejected the token, or closed 1009 on it as
                                       too large (AUTH_FAILED code "token_too_large");
                                       waits for set_token() */
  TETHER_STATE_FORCE_32 = 0x7fffffff
} tether_state;

/* Static text naming a state, e.g. "ready". Lifetime: static. Thread safety: any. */
TETHER_API const char* tether_state_string(uint32_t state);

typedef enum tether_event_type {
  TETHER_EVENT_STATE_CHANGED = 1,      /* state; RECONNECTING: attempt, delay_ms; READY: RESUMED
                                          flag; RECONNECTING/CLOSED/GAVE_UP/UNAUTHORIZED: the
                                          close that led there (close_code, close_initiator,
                                          reason) */
  TETHER_EVENT_MESSAGE = 2,            /* channel, data (JSON), RELIABLE flag, message_id (the
                                          sender's sequence, 0 if unreliable), timestamp_ms */
  TETHER_EVENT_ACK = 3,                /* message_id: your reliable send was delivered */
  TETHER_EVENT_SEND_FAILED = 4,        /* message_id, outcome: your reliable send was not */
  TETHER_EVENT_AUTH_OK = 5,            /* permissions, user_id, session, expires_at_ms, RESUMED */
  TETHER_EVENT_AUTH_FAILED = 6,        /* code (e.g. "token_expired", "token_too_large"), reason */
  TETHER_EVENT_TOKEN_REFRESHED = 7,    /* token (the new one), expires_at_ms, permissions (the
                                          set now in force; count 0 if the server sent none) */
  TETHER_EVENT_TOKEN_EXPIRING = 8,     /* expires_at_ms, code, reason: refresh failed; supply a
                                          token with tether_client_set_token() */
  TETHER_EVENT_PERMISSION_DENIED = 9,  /* channel, action ("publish"/"subscribe"), message_id
                                          (your id for a reliable publish, else 0), code, reason;
                                          codes include "too_large" (the publish would not fit
                                          subscribers' frames; its SEND_FAILED says TOO_LARGE),
                                          "too_many_subscriptions", "invalid_channel" */
  TETHER_EVENT_SUBSCRIBED = 10,        /* channel */
  TETHER_EVENT_UNSUBSCRIBED = 11,      /* channel; code and reason when the server dropped it
                                          (e.g. "permission_revoked" after a token refresh or
                                          resume): the subscription is gone for good */
  TETHER_EVENT_ERROR = 12,             /* code, reason: a protocol complaint; the session goes on
                                          ("frame_refused": the transport would not send a frame;
                                          the connection is dropped and the session reconnects;
                                          "binary_unsupported": binary messages were dropped, on
                                          their way out to or in from a server without binary,
                                          the reason says how many) */
  TETHER_EVENT_TRANSPORT_ERROR = 13,   /* code (e.g. "connect_failed", "tls_verify_failed",
                                          "tls_hostname_mismatch", "tls_pin_mismatch"), reason,
                                          close_code; a state change follows */
  TETHER_EVENT_LOG = 14,               /* log_level, reason (the line); the library never prints */
  TETHER_EVENT_FORCE_32 = 0x7fffffff
} tether_event_type;

/* Static text naming an event type, e.g. "message". Lifetime: static. */
TETHER_API const char* tether_event_type_string(uint32_t type);

/* How a reliable send ended (tether_event.outcome). */
typedef enum tether_send_outcome {
  TETHER_OUTCOME_ACKED = 0,              /* delivered to the peer application */
  TETHER_OUTCOME_TIMED_OUT = 1,          /* no ack after ack_max_retries resends */
  TETHER_OUTCOME_CLOSED = 2,             /* the session ended for good (host close, gave up) */
  TETHER_OUTCOME_CANCELLED = 3,          /* withdrawn before it was ever transmitted */
  TETHER_OUTCOME_PERMISSION_DENIED = 4,  /* the server refused it */
  TETHER_OUTCOME_OVERFLOW = 5,           /* dropped by a full buffer */
  TETHER_OUTCOME_TOO_LARGE = 6,          /* larger than the server accepts in one frame (its
                                            advertised limit, or a frame it closed with
                                            1009); queued before that was known; never resent */
  TETHER_OUTCOME_UNSUPPORTED = 7,        /* a binary payload queued while offline, and the
                                            server it reached does not take binary */
  TETHER_OUTCOME_FORCE_32 = 0x7fffffff
} tether_send_outcome;

/* Who ended a connection (tether_event.close_initiator). */
typedef enum tether_close_initiator {
  TETHER_CLOSED_BY_LOCAL = 0,      /* this client */
  TETHER_CLOSED_BY_REMOTE = 1,     /* the server sent a close frame */
  TETHER_CLOSED_BY_TRANSPORT = 2,  /* the network: no close frame, timeout, TLS failure */
  TETHER_CLOSED_BY_FORCE_32 = 0x7fffffff
} tether_close_initiator;

typedef enum tether_log_level {
  TETHER_LOG_DEBUG = 0,
  TETHER_LOG_INFO = 1,
  TETHER_LOG_WARN = 2,
  TETHER_LOG_ERROR = 3,
  TETHER_LOG_OFF = 4,
  TETHER_LOG_FORCE_32 = 0x7fffffff
} tether_log_level;

/* Which pool connection carries a message (pool_size > 1). */
typedef enum tether_balance_strategy {
  TETHER_BALANCE_ROUND_ROBIN = 0,     /* in turn; per-channel order not kept across connections */
  TETHER_BALANCE_LEAST_MESSAGES = 1,  /* fewest queued + unacked; order not kept */
  TETHER_BALANCE_RANDOM = 2,          /* seeded random; order not kept */
  TETHER_BALANCE_STICKY_CHANNEL = 3,  /* a channel stays on one connection, so per-channel order
                                         holds. While its connection is down, it moves to the
                                         next healthy one only if none of its reliable messages
                                         is unresolved on the down one (else they would be
                                         overtaken); meanwhile they wait for the reconnect */
  TETHER_BALANCE_FORCE_32 = 0x7fffffff
} tether_balance_strategy;

/* Where a client's network work runs (tether_config.io_mode). */
typedef enum tether_io_mode {
  TETHER_IO_THREAD = 0, /* an internal thread: heartbeats, acks and reconnects go on
                           whatever the host's frame rate (the default) */
  TETHER_IO_PUMP = 1,   /* no thread: tether_client_pump() does the network work on the
                           pumping thread. No hand-off between threads, so a host that
                           pumps every frame or spins on pump gets the lowest latency,
                           even on one core. The network waits while the host does not
                           pump: pump at least every heartbeat_timeout_ms, or the link is
                           declared dead (and reconnected). On Windows, Asio's I/O
                           completion port adds one idle helper thread per client that
                           only wakes the port when a timer is due; no Tether code runs
                           on it, and it ends with the client */
  TETHER_IO_MODE_FORCE_32 = 0x7fffffff
} tether_io_mode;

/* Reconnect delay randomization. */
typedef enum tether_jitter {
  TETHER_JITTER_NONE = 0,          /* exactly min(max, initial * decay^attempt) */
  TETHER_JITTER_FULL = 1,          /* uniform in [0, that delay]: spreads a herd the most */
  TETHER_JITTER_DECORRELATED = 2,  /* uniform in [initial, 3 * previous delay], capped */
  TETHER_JITTER_FORCE_32 = 0x7fffffff
} tether_jitter;

/* tether_client_send() flags. */
#define TETHER_SEND_RELIABLE 1u /* ack, retry and resume until it resolves; an ACK or
                                   SEND_FAILED event reports the outcome */

/* tether_event.flags */
#define TETHER_EVENT_FLAG_RELIABLE 1u /* MESSAGE: sent reliably (delivered exactly once) */
#define TETHER_EVENT_FLAG_RESUMED 2u  /* STATE_CHANGED to READY, AUTH_OK: the server kept the
                                         session, so no message was lost or repeated */
#define TETHER_EVENT_FLAG_BINARY 4u   /* MESSAGE: `data` is data_len bytes of a binary payload
                                         (tether_client_send_bytes), not JSON text; it may
                                         hold NUL bytes (a NUL still follows the last one) */
#define TETHER_EVENT_FLAG_RECOVERED 8u /* AUTH_OK, with RESUMED: another server of a cluster
                                          took the session over (its server died or drained;
                                          docs/PROTOCOL.md 11.1); nothing was lost or repeated */

/* ---- Configuration ---------------------------------------------------------
 * Always start from tether_config_init(), which sets struct_size and every
 * default below, then change what you need. tether_client_create() copies
 * every string and array, so the config may be freed right after it. */
typedef struct tether_config {
  uint32_t struct_size; /* sizeof(tether_config), set by tether_config_init; the
                           0.1 size (up to io_mode) is accepted too */
  uint32_t url_count;   /* entries in `urls`; default 0 */

  /* Servers, ws:// or wss:// (at least one): `url` if not NULL, followed by
   * urls[0..url_count); the TLS settings apply to each. Pool connection i
   * starts on entry i % count, so a pool spreads over the servers. Each time a
   * connection reconnects by itself (an attempt failed, or an established
   * connection was lost: it goes RECONNECTING or GAVE_UP), its next attempt
   * goes to the next entry, wrapping around: a lost connection does not retry
   * its server first, as a dead server is the likely cause. There it presents
   * its session (READY with RESUMED if that server has it, as every server of
   * a tether-server cluster does: docs/PROTOCOL.md 11.1; else a new session
   * that gets the unacked reliable sends again). The backoff wait still comes
   * first, and counts a connection's failures across entries.
   * tether_client_close() and a refused token (UNAUTHORIZED) keep the entry.
   * tether_stats.url_index says which entry. With one server (or a load
   * balancer's address) nothing moves. Default NULL. */
  const char* url;
  const char* const* urls;

  uint32_t pool_size;        /* parallel connections, 1..64; default 1 */
  uint32_t balance_strategy; /* tether_balance_strategy; default STICKY_CHANNEL */

  /* Reconnect backoff: attempt n (0-based) waits min(max, initial * decay^n), jittered. */
  int64_t backoff_initial_ms;    /* > 0; default 500 */
  int64_t backoff_max_ms;        /* >= initial, at most 604800000 (7 days); default 30000 */
  double backoff_decay;          /* growth per failed attempt, 1..100; default 1.5 */
  int64_t backoff_stable_ms;     /* authenticated this long resets the attempt count; at
                                    most 604800000 (7 days); default 5000 */
  uint32_t backoff_jitter;       /* tether_jitter; default FULL */
  uint32_t backoff_max_attempts; /* consecutive failures before GAVE_UP, 0 = never; 10 */

  /* Every *_ms duration is at most 604800000 (7 days); larger is INVALID_CONFIG. */
  int64_t connect_timeout_ms;    /* TCP + TLS + WebSocket handshake; > 0, at most 604800000
                                    (7 days); default 10000 */
  int64_t heartbeat_interval_ms; /* a ping this often; > 0, at most 604800000 (7 days);
                                    default 15000 */
  int64_t heartbeat_timeout_ms;  /* no pong this long = link dead; < interval; default 5000 */

  /* Reliable delivery and the outbound queue (sends made while offline wait here). */
  int64_t ack_timeout_ms;       /* resend an unacked reliable message after this; > 0, at
                                   most 604800000 (7 days); default 5000 */
  uint32_t ack_max_retries;     /* resends before SEND_FAILED/TIMED_OUT; default 5 */
  uint32_t max_in_flight;       /* unacked reliable messages on the wire, > 0; default 1024 */
  uint64_t queue_max_messages;  /* queued messages before QUEUE_FULL, > 0; default 4096 */
  uint64_t queue_max_bytes;     /* queued channel+payload bytes, > 0; default 4194304 */
  uint32_t receive_window;      /* out-of-order reliable messages accepted, > 0; 4096 */
  uint32_t max_message_bytes;   /* largest frame either way, >= 1024; default 1048576. A
                                   server that advertises a smaller limit lowers it for
                                   what this client sends */

  /* Authentication and TLS. */
  const char* token;            /* JWT presented on connect; default NULL (set it later) */
  const char* tls_ca_file;      /* extra trusted CAs, PEM file. The system CAs are always
                                   trusted too: OpenSSL's default paths (Linux: the
                                   distribution's store), plus on Windows the ROOT system
                                   store (not revocation, nor roots Windows has not yet
                                   downloaded); in the browser only the browser's */
  const char* tls_ca_pem;       /* extra trusted CAs, PEM text; default NULL */
  const char* const* tls_pins;  /* base64(SHA-256(SPKI DER)) of accepted server keys */
  uint32_t tls_pin_count;       /* entries in tls_pins; default 0 (no pinning) */
  uint32_t tls_verify_peer;     /* 1 = verify chain and host name (default); 0 only in tests */
  int64_t auth_timeout_ms;      /* open -> authenticated, > 0, at most 604800000 (7 days);
                                   default 10000 */
  int64_t refresh_lead_ms;      /* refresh the token this long before it expires; >= 0, at
                                   most 604800000 (7 days); default 60000 */
  int64_t refresh_timeout_ms;   /* wait this long for a refreshed token, > 0, at most
                                   604800000 (7 days); default 10000 */

  /* Host side. */
  uint64_t max_pending_events;  /* events waiting for pump(), 1..2^30; at the limit inbound
                                   messages wait (reliable) or drop (unreliable), passed by
                                   at most one frame and what it releases (see "Limits a
                                   host can hit"); 65536 */
  uint64_t seed;                /* jitter and random balancing; 0 = random; default 0 */
  int32_t log_level;            /* tether_log_level for LOG events; default WARN */
  uint32_t io_mode;             /* tether_io_mode; default TETHER_IO_THREAD. (0.1 and
                                   0.2.0 called this field reserved0, always 0) */

  /* ---- Added in 0.2 (a 0.1 caller's smaller struct_size gets the defaults) */
  uint64_t max_pending_event_bytes; /* bytes held by events waiting for pump() (channel,
                                       payload and text), >= 65536; at the limit inbound
                                       messages wait or drop as for max_pending_events,
                                       which says by how much it can be passed;
                                       default 16777216 */
} tether_config;

/* Sets struct_size and every default documented in tether_config, writing
 * only the first `struct_size` bytes: pass sizeof(tether_config) as the
 * caller's header declares it. A caller compiled against an older, smaller
 * tether_config thus never has bytes written past its struct.
 * Returns: TETHER_OK. Errors: INVALID_ARGUMENT if config is NULL or
 *   struct_size is not the size of this or an older version of the struct.
 * Thread safety: any thread. */
TETHER_API int32_t tether_config_init_sized(tether_config* config, uint32_t struct_size);

/* tether_config_init(config) is tether_config_init_sized() with this header's
 * sizeof(tether_config) (as zlib's deflateInit passes sizeof(z_stream)). The
 * exported function of the same name, called by programs built against 0.1,
 * initializes the 0.1 struct. Bindings that call the library directly (C#)
 * use tether_config_init_sized with their struct's size. */
TETHER_API int32_t tether_config_init(tether_config* config);
#define tether_config_init(config) \
  tether_config_init_sized((config), (uint32_t)sizeof(tether_config))

/* ---- Client lifecycle ------------------------------------------------------ */

/* Opaque. A handle is an id, never dereferenced: after destroy every call with
 * it returns TETHER_ERROR_INVALID_HANDLE (or NULL) instead of crashing. */
typedef struct tether_client tether_client;

/* Validates the config, then creates an idle client and its I/O thread. It
 * does not connect: subscribe to channels, then call tether_client_connect().
 * Returns: TETHER_OK and *out_client set; on error *out_client is NULL.
 * Errors: INVALID_ARGUMENT (NULL, or a struct_size that is neither
 *   sizeof(tether_config) nor an older version's; with an older one, the
 *   fields added since take their defaults), INVALID_CONFIG (the
 *   text in tether_client_last_error(NULL) names the field), OUT_OF_MEMORY,
 *   INTERNAL (e.g. the thread could not start).
 * Lifetime: the config and its strings may be freed when this returns.
 * Thread safety: any thread. */
TETHER_API int32_t tether_client_create(const tether_config* config, tether_client** out_client);

/* Drops every connection at once (no closing handshake), stops the I/O
 * thread and frees the client. Quick from any state, a host name lookup in
 * progress included (it is left to finish on its own). Unresolved reliable
 * sends are abandoned without events. tether_client_destroy(NULL) is a no-op.
 * Lifetime: every pointer obtained from this client (events and their text)
 *   is invalid once destroy returns. Finish reading events before calling
 *   it: reading one while destroy runs is a race, as it is during a pump().
 * Thread safety: any thread. A call on this client already in progress on
 *   another thread, pump() and event() included, returns before destroy
 *   frees anything (destroy waits for it); a call starting later returns
 *   INVALID_HANDLE (or NULL).
 * At exit: a client never destroyed is stopped when the process exits (or
 *   libtether is unloaded): its network thread ends, its memory is left to
 *   the OS, and its handle becomes invalid, so a destroy from an exit
 *   handler or static destructor that runs later is a no-op. Unresolved
 *   sends get no events. On Windows tether.dll is stopped as it detaches,
 *   after the program's own exit handlers, which still find it live. */
TETHER_API void tether_client_destroy(tether_client* client);

/* Starts connecting every pool connection (from IDLE, CLOSED, GAVE_UP or
 * UNAUTHORIZED, resetting the attempt count); no-op in other states.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE.
 * Thread safety: any thread. */
TETHER_API int32_t tether_client_connect(tether_client* client);

/* Closes every connection with code 1000 and stops reconnecting. Queued and
 * unacked reliable sends resolve as SEND_FAILED/CLOSED; the state becomes
 * CLOSED. tether_client_connect() then starts a new session: nothing is
 * resumed, so messages published for the old session meanwhile are never
 * delivered. The channels you subscribed to are kept and subscribed again.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE. Thread safety: any thread. */
TETHER_API int32_t tether_client_close(tether_client* client);

/* Skips the current backoff wait (e.g. the OS reports the network is back),
 * and restarts after GAVE_UP. On a READY connection it checks the link
 * instead (e.g. after the app resumes from suspension, when the link may be
 * dead while the state still says READY): a ping goes out at once, unless
 * one is already outstanding, and no pong within heartbeat_timeout_ms means
 * the link is dead: the connection closes with 4000 and reconnects as usual.
 * No-op in other states.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE. Thread safety: any thread. */
TETHER_API int32_t tether_client_reconnect_now(tether_client* client);

/* Replaces the token: used for every later auth, presented to the server
 * when READY (refreshing permissions and expiry; at once, or as soon as a
 * refresh already in flight is answered), and leaves UNAUTHORIZED by
 * reconnecting.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL token, or
 * not valid UTF-8; the token in force stays). Lifetime: copied. Thread safety:
 * any thread. */
TETHER_API int32_t tether_client_set_token(tether_client* client, const char* token);

/* ---- Limits a host can hit -------------------------------------------------
 * - Channel names: 1..256 bytes of valid UTF-8 without NUL (INVALID_CHANNEL).
 * - Payloads: one JSON value, valid UTF-8, arrays and objects nested at most
 *   32 deep (INVALID_PAYLOAD).
 * - Envelope: a channel message costs 171 bytes plus its channel name (a '"'
 *   or '\' counts 2 bytes, a control character 6) on top of the payload. The
 *   largest payload is therefore max_message_bytes - 171 - channel bytes, or
 *   less when the server advertises a smaller frame limit at authentication
 *   (PAYLOAD_TOO_LARGE).
 * - Batches: the library packs at most 4096 messages into one frame, or the
 *   server's advertised maximum; the host never sees batches.
 * - Durations: every *_ms field of tether_config is at most 604800000 (7 days).
 * - Events waiting for pump(): max_pending_events and max_pending_event_bytes;
 *   at either limit inbound reliable messages wait on the server (nothing is
 *   lost) and unreliable ones are dropped. The limits are checked as each
 *   inbound frame is taken in, and the frame that reaches one is taken whole:
 *   the events can pass a limit by one frame (at most 4096 messages and
 *   max_message_bytes) plus the reliable messages that frame releases from
 *   the receive window (at most receive_window messages). */

/* ---- Messaging --------------------------------------------------------------- */

/* Publishes `json` (one UTF-8 JSON value of json_len bytes, e.g. {"x":1}) on
 * `channel`. Copies both and returns without blocking; while offline the
 * message waits in the queue and leaves after the next authentication.
 * With TETHER_SEND_RELIABLE it is retried across reconnects until it resolves
 * exactly once as an ACK or SEND_FAILED event carrying *out_message_id.
 * A channel name is 1..256 bytes of UTF-8 (no NUL: it ends the string).
 * A message queued before the server's frame limit was known, and larger
 * than it, fails later: SEND_FAILED/TOO_LARGE if reliable, else it is
 * dropped with an ERROR event (code "too_large").
 * Returns: TETHER_OK; *out_message_id (if not NULL) is the id, unique per
 *   client and never 0, of a reliable send, 0 for an unreliable one.
 * Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL pointers, unknown flags),
 *   INVALID_CHANNEL (empty, over 256 bytes, not UTF-8), INVALID_PAYLOAD,
 *   PAYLOAD_TOO_LARGE (over max_message_bytes or the server's limit), QUEUE_FULL,
 *   PERMISSION_DENIED (known permissions forbid publishing here), WRONG_STATE
 *   (CLOSED or GAVE_UP). Nothing is queued on error.
 * Ordering: per channel with the default STICKY_CHANNEL balancing.
 * Thread safety: any thread, concurrently. */
TETHER_API int32_t tether_client_send(tether_client* client, const char* channel, const char* json,
                                      size_t json_len, uint32_t flags, uint64_t* out_message_id);

/* Publishes `data_len` bytes of a binary payload (protobuf, FlatBuffers, any
 * format of the game's) on `channel`: as tether_client_send() in every
 * respect (queueing, TETHER_SEND_RELIABLE, ordering, permissions, results),
 * except that the bytes are not checked or parsed by anyone: they travel in
 * binary WebSocket frames, are never base64-encoded, and arrive as a MESSAGE
 * event with TETHER_EVENT_FLAG_BINARY. `data` may be NULL when data_len is 0.
 * A server older than binary payloads (docs/PROTOCOL.md 5.1) cannot take
 * them: while connected to one this returns UNSUPPORTED; a message queued
 * offline that then reaches one resolves as SEND_FAILED/UNSUPPORTED if
 * reliable, else it is dropped with an ERROR event (code
 * "binary_unsupported"). Subscribers whose connections did not negotiate
 * binary do not get it; the server tells them with an ERROR event.
 * Returns: TETHER_OK and *out_message_id as tether_client_send().
 * Errors: as tether_client_send(), without INVALID_PAYLOAD, plus UNSUPPORTED.
 * Thread safety: any thread, concurrently. */
TETHER_API int32_t tether_client_send_bytes(tether_client* client, const char* channel, const void* data,
                                            size_t data_len, uint32_t flags, uint64_t* out_message_id);

/* Subscribes to `channel` (NUL-terminated UTF-8). The server confirms with a
 * SUBSCRIBED event or refuses with PERMISSION_DENIED. Subscriptions survive
 * reconnects; calls made while offline are sent after authentication.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL),
 *   INVALID_CHANNEL (empty, over 256 bytes, not UTF-8), PERMISSION_DENIED,
 *   WRONG_STATE. Nothing is sent on error.
 * Thread safety: any thread. */
TETHER_API int32_t tether_client_subscribe(tether_client* client, const char* channel);

/* Undoes tether_client_subscribe(); confirmed by an UNSUBSCRIBED event.
 * Returns/Errors: as tether_client_subscribe(). Thread safety: any thread. */
TETHER_API int32_t tether_client_unsubscribe(tether_client* client, const char* channel);

/* ---- Events -------------------------------------------------------------------
 * One fixed-layout struct for every event: a header (type, connection,
 * time_ms) and fields whose meaning depends on `type` (see
 * tether_event_type); unused numbers are 0 and unused text is "" (text
 * pointers are never NULL; reserved_ptr always is).
 *
 * LIFETIME RULE: every pointer in an event is owned by the client and stays
 * valid until the next tether_client_pump() or tether_client_destroy() on
 * that client. Copy what you want to keep. Text is UTF-8, NUL-terminated,
 * and its *_len excludes the NUL.
 *
 * Layout: no implicit padding on 32- or 64-bit targets; offsets below are for
 * 64-bit (pointers at 80 + 8*i), 32-bit ones differ from offset 80 on (4*i).
 * Size: 152 + 10 * sizeof(void*) bytes (232 on 64-bit). */
typedef struct tether_event {
  uint32_t type;            /*   0: tether_event_type */
  uint32_t connection;      /*   4: pool connection index */
  int64_t time_ms;          /*   8: Unix ms when the library produced the event */
  uint64_t message_id;      /*  16: see tether_event_type */
  int64_t expires_at_ms;    /*  24: token expiry, Unix ms, 0 = unknown */
  int64_t timestamp_ms;     /*  32: MESSAGE: when the sender sent it, Unix ms */
  int64_t delay_ms;         /*  40: RECONNECTING: wait before the next attempt */
  uint32_t state;           /*  48: tether_state (STATE_CHANGED) */
  uint32_t attempt;         /*  52: RECONNECTING: consecutive failed attempts so far */
  uint32_t close_code;      /*  56: WebSocket close code (docs/PROTOCOL.md 3.5), 0 = none */
  uint32_t close_initiator; /*  60: tether_close_initiator */
  uint32_t outcome;         /*  64: tether_send_outcome (ACK, SEND_FAILED) */
  uint32_t flags;           /*  68: TETHER_EVENT_FLAG_* */
  uint32_t log_level;       /*  72: tether_log_level (LOG) */
  uint32_t reserved0;       /*  76: zero */
  const char* channel;      /*  80 */
  const char* data;         /*  88: MESSAGE: the JSON payload, or bytes (FLAG_BINARY) */
  const char* code;         /*  96: machine-readable code, e.g. "tls_verify_failed" */
  const char* reason;       /* 104: human-readable detail, close reason, or the log line */
  const char* action;       /* 112: PERMISSION_DENIED: "publish" or "subscribe" */
  const char* token;        /* 120: TOKEN_REFRESHED: the new token */
  const char* user_id;      /* 128: AUTH_OK: the token's subject */
  const char* session;      /* 136: AUTH_OK: the session id */
  const char* permissions;  /* 144: AUTH_OK, TOKEN_REFRESHED: the permission set, joined
                                      with '\n' */
  const void* reserved_ptr; /* 152: NULL */
  uint32_t channel_len;     /* 160 */
  uint32_t data_len;        /* 164 */
  uint32_t code_len;        /* 168 */
  uint32_t reason_len;      /* 172 */
  uint32_t action_len;      /* 176 */
  uint32_t token_len;       /* 180 */
  uint32_t user_id_len;     /* 184 */
  uint32_t session_len;     /* 188 */
  uint32_t permissions_len; /* 192 */
  uint32_t permission_count; /* 196: entries in `permissions` */
  uint64_t reserved[4];     /* 200: zero; room to grow */
} tether_event;

#define TETHER_EVENT_SIZE (152u + 10u * (uint32_t)sizeof(void*))

#if defined(__cplusplus) && __cplusplus >= 201103L
#define TETHER_STATIC_ASSERT(condition, message) static_assert(condition, message)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define TETHER_STATIC_ASSERT(condition, message) _Static_assert(condition, message)
#endif
#ifdef TETHER_STATIC_ASSERT
TETHER_STATIC_ASSERT(sizeof(tether_event) == TETHER_EVENT_SIZE, "tether_event layout changed");
TETHER_STATIC_ASSERT(offsetof(tether_event, channel) == 80, "tether_event layout changed");
TETHER_STATIC_ASSERT(offsetof(tether_event, channel_len) == 80 + 10 * sizeof(void*),
                     "tether_event layout changed");
#undef TETHER_STATIC_ASSERT
#endif

/* Makes the events produced since the previous pump readable through
 * tether_client_event() and returns how many there are. Call it once per
 * frame. It never blocks on the network and allocates nothing in steady state.
 * With TETHER_IO_PUMP it first does the network work that is ready (reads,
 * writes, timers), without waiting for more. With TETHER_IO_THREAD, a host
 * that calls it in a tight loop is detected (two empty pumps less than 100
 * microseconds apart): such a pump yields the thread's time slice, so the
 * client's network thread runs even when both share one core. A pump once
 * per frame never yields.
 * Returns: the event count (>= 0). Errors: INVALID_HANDLE.
 * Lifetime: invalidates every event pointer from the previous pump.
 * Thread safety: one thread at a time per client (with tether_client_event). */
TETHER_API int32_t tether_client_pump(tether_client* client);

/* tether_client_pump() that also hands over the events as one array:
 * (*out_events)[0] .. (*out_events)[n - 1] are the events
 * tether_client_event() would return for indices 0 .. n - 1, under the same
 * LIFETIME RULE. One call per frame instead of one more per event, which
 * matters where each call is marshalled (C# P/Invoke).
 * *out_events is NULL when there are no events, and on error.
 * Returns: the event count (>= 0). Errors: INVALID_HANDLE, INVALID_ARGUMENT
 *   (out_events NULL; then no events are taken).
 * Thread safety: as tether_client_pump(). */
TETHER_API int32_t tether_client_pump_events(tether_client* client, const tether_event** out_events);

/* Event `index` (0 <= index < the last pump's count), in production order.
 * Returns: the event, or NULL for an invalid handle or index.
 * Lifetime: the LIFETIME RULE above (until the next pump or destroy).
 * Thread safety: the thread that pumps. */
TETHER_API const tether_event* tether_client_event(tether_client* client, uint32_t index);

/* ---- Statistics ------------------------------------------------------------- */

typedef struct tether_stats {
  uint32_t struct_size;       /*   0: set to sizeof(tether_stats) before the call;
                                       an older, smaller size (>= 8) gets the
                                       fields that fit */
  uint32_t state;             /*   4: tether_state (pool: READY if any connection is) */
  uint64_t messages_sent;     /*   8: channel messages put on the wire (first transmissions) */
  uint64_t messages_received; /*  16: channel messages delivered to the app */
  uint64_t bytes_sent;        /*  24: frame bytes */
  uint64_t bytes_received;    /*  32 */
  uint64_t errors;            /*  40: decode errors and protocol complaints */
  uint64_t reconnects;        /*  48: re-authentications after the first */
  uint64_t pending_acks;      /*  56: reliable messages on the wire, not yet acked */
  uint64_t queued;            /*  64: waiting to be sent */
  uint64_t routed;            /*  72: sends the balancer assigned to this connection */
  uint64_t sim_dropped;       /*  80: frames the network simulator discarded */
  double rtt_ms;              /*  88: smoothed round trip; 0 until measured (pool: mean).
                                      Counted in whole ms: a round trip under
                                      1 ms counts as 0.5 */
  uint64_t url_index;         /*  96: server entry (`url` first, then urls[]) this
                                      connection is on, or tries next (pool: that
                                      of the connection whose state is reported) */
  uint64_t reserved[7];       /* 104: zero; room to grow */
} tether_stats;               /* 160 bytes */

/* Number of pool connections (config.pool_size).
 * Returns: >= 1. Errors: INVALID_HANDLE. Thread safety: any thread. */
TETHER_API int32_t tether_client_pool_size(tether_client* client);

/* A live snapshot of one pool connection's counters. Set
 * out_stats->struct_size first; the library writes only the whole fields
 * that fit in that many bytes, never past it, and leaves struct_size as is.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE, INVALID_ARGUMENT (NULL, index
 *   out of range, struct_size below 8 or above sizeof(tether_stats)).
 * Thread safety: any thread. */
TETHER_API int32_t tether_client_connection_stats(tether_client* client, uint32_t index,
                                                  tether_stats* out_stats);

/* The sum over all connections (rtt_ms: mean of measured ones).
 * Returns/Errors: as tether_client_connection_stats(). Thread safety: any thread. */
TETHER_API int32_t tether_client_pool_stats(tether_client* client, tether_stats* out_stats);

/* ---- Diagnostics -------------------------------------------------------------- */

/* Simulates a bad network on every connection: `latency_ms` added to each
 * direction and a `drop_rate` probability that a frame vanishes. (0, 0)
 * turns it off (the default). For testing your game, never for production.
 * Frames already delayed keep their place: the link stays in order.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE, INVALID_ARGUMENT (latency_ms
 *   outside 0..604800000, 7 days; drop_rate outside [0, 1)). Thread safety:
 *   any thread. */
TETHER_API int32_t tether_client_simulate(tether_client* client, int64_t latency_ms, double drop_rate);

/* Drops connection `index`, or all with -1, as a network failure would: the
 * client notices and reconnects.
 * Returns: TETHER_OK. Errors: INVALID_HANDLE, INVALID_ARGUMENT (index out of
 *   range). Thread safety: any thread. */
TETHER_API int32_t tether_client_simulate_cut(tether_client* client, int32_t index);

/* Sets the lowest tether_log_level reported as LOG events (OFF: none).
 * Returns: TETHER_OK. Errors: INVALID_HANDLE, INVALID_ARGUMENT.
 * Thread safety: any thread. */
TETHER_API int32_t tether_client_set_log_level(tether_client* client, int32_t level);

/* Detail for the most recent failed call on `client` (from any thread),
 * e.g. "heartbeat timeout must be < heartbeat interval". Successful calls
 * leave it unchanged; "" if no call failed. With NULL or a handle that is not
 * live: detail for the calling thread's last failed tether_client_create()
 * or call with an invalid handle.
 * Returns: never NULL.
 * Lifetime: a copy owned by the calling thread, valid until its next
 *   tether_client_last_error() call.
 * Thread safety: any thread (per-client text behind a mutex). */
TETHER_API const char* tether_client_last_error(tether_client* client);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TETHER_TETHER_H */
