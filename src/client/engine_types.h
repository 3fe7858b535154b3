#pragma once
// Configuration, events and stats of the client engine (the pool of
// connections behind the C API).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client/balancer.h"
#include "core/client_session.h"

namespace tether::client {

enum class LogLevel : int32_t { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

// Off by default. Lets games test their own handling of bad networks.
struct NetworkSimulation {
  int64_t latency_ms = 0;  // added to each direction
  double drop_rate = 0;    // probability that a frame (either direction) vanishes; 1 = dead link
};

// Where the engine's network work runs.
enum class IoMode : uint8_t {
  // An internal io thread: heartbeats, acks and reconnects go on whatever
  // the host's frame rate.
  Thread,
  // The thread that calls pump(), inside pump(): no io thread, no hand-off.
  // The network progresses only while the host pumps, so heartbeats time
  // out if it stops for longer than heartbeat_timeout_ms. For game loops
  // that pump every frame, and for platforms without threads.
  Pump,
};

struct EngineConfig {
  // ws:// or wss://. Connection i starts on urls[i % urls.size()]; each time
  // it reconnects by itself (a failed attempt or a lost connection), it moves
  // on to the next entry, wrapping around (PoolSlot::after_connection_end).
  std::vector<std::string> urls;
  uint32_t pool_size = 1;
  BalanceStrategy strategy = BalanceStrategy::StickyChannel;
  core::ClientConfig session;     // token, backoff, heartbeat, reliable, limits ...

  // TLS (wss): verification is on unless a test turns it off.
  bool tls_verify_peer = true;
  std::string tls_ca_file;
  std::string tls_ca_pem;
  std::vector<std::string> tls_pinned_spki_sha256;

  // Events waiting for pump(), by count and by the bytes of their text
  // (event_bytes()). At either limit, inbound reliable messages are deferred
  // (not acked, so the server resends them later) and unreliable ones
  // dropped (counted), until the host pumps again. The limits can be passed
  // by what one frame delivers: the frame that reached them (at most
  // max_frame_bytes), plus the reliable messages it released from the
  // reorder buffer (at most receive_window of them).
  size_t max_pending_events = 65536;
  uint64_t max_pending_event_bytes = uint64_t{16} << 20;  // >= kMinPendingEventBytes
  uint64_t seed = 0;  // jitter and random balancing; 0 = from std::random_device
  LogLevel log_level = LogLevel::Warn;
  IoMode io_mode = IoMode::Thread;
  NetworkSimulation simulation;
};

// Below this one large message could pause inbound on its own.
constexpr uint64_t kMinPendingEventBytes = 65536;

// Returns nullptr if valid, else a static description of the first problem.
const char* validate(const EngineConfig& config);

struct EngineEvent {
  enum class Kind : uint8_t {
    Session,    // `session` holds a core event
    Transport,  // a connection attempt or connection failed: session.code is the
                // transport error (e.g. "tls_verify_failed"), session.reason the detail
    Log,        // session.reason is the text, log_level its level
  };
  Kind kind = Kind::Session;
  uint32_t connection = 0;  // pool index
  int64_t time_ms = 0;      // Unix ms when the engine produced it
  LogLevel log_level = LogLevel::Info;
  core::ClientEvent session;
};

// The bytes an event holds for the host: its channel, payload and text
// fields. What max_pending_event_bytes counts.
size_t event_bytes(const EngineEvent& event);

// Events waiting for the host, and the backpressure they caused.
struct PendingEventStats {
  size_t events = 0;             // waiting for the next pump()
  size_t bytes = 0;              // their event_bytes()
  size_t high_water_events = 0;  // the most ever waiting at once
  size_t high_water_bytes = 0;
  // Reliable messages the sessions hold back for reordering (events to be,
  // all at once when the gap fills): not limited here, but by receive_window.
  size_t held_messages = 0;
  size_t held_bytes = 0;         // their channel + payload bytes
  size_t high_water_held_bytes = 0;
  uint64_t pauses = 0;           // times a limit paused inbound messages
  // Memory the two event buffers keep between pumps (read on the pumping thread).
  size_t buffer_slots = 0;       // event slots allocated
  size_t retained_bytes = 0;     // text the slots may still hold, at most
};

struct ConnectionStats {
  core::ClientState state = core::ClientState::Idle;
  // EngineConfig::urls entry in use, or of the next attempt (pool: that of
  // the connection whose state is reported).
  uint32_t url_index = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t errors = 0;
  uint64_t reconnects = 0;
  double rtt_ms = 0;        // smoothed; 0 until measured
  uint64_t pending_acks = 0;
  uint64_t queued = 0;      // waiting to be sent
  uint64_t routed = 0;      // messages the balancer assigned to this connection
  uint64_t sim_dropped = 0; // frames the network simulator discarded
  uint64_t deferred_reliable = 0;   // reliable messages refused while inbound was paused (resent)
  uint64_t dropped_unreliable = 0;  // unreliable messages dropped while inbound was paused

  void add(const ConnectionStats& other);
};

}  // namespace tether::client
