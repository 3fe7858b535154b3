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

struct EngineConfig {
  std::vector<std::string> urls;  // ws:// or wss://; connection i uses urls[i % urls.size()]
  uint32_t pool_size = 1;
  BalanceStrategy strategy = BalanceStrategy::StickyChannel;
  core::ClientConfig session;     // token, backoff, heartbeat, reliable, limits ...

  // TLS (wss): verification is on unless a test turns it off.
  bool tls_verify_peer = true;
  std::string tls_ca_file;
  std::string tls_ca_pem;
  std::vector<std::string> tls_pinned_spki_sha256;

  // Events waiting for pump(). At this many, inbound reliable messages are
  // deferred (not acked, so the server resends them later) and unreliable
  // ones dropped (counted), until the host pumps again.
  size_t max_pending_events = 65536;
  uint64_t seed = 0;  // jitter and random balancing; 0 = from std::random_device
  LogLevel log_level = LogLevel::Warn;
  NetworkSimulation simulation;
};

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

struct ConnectionStats {
  core::ClientState state = core::ClientState::Idle;
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

  void add(const ConnectionStats& other);
};

}  // namespace tether::client
