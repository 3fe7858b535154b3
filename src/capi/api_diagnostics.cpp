// C functions that observe or perturb a client: stats, simulator, logging,
// last error.
#include <cstddef>
#include <cstring>
#include <string>

#include "capi/api_guard.h"
#include "capi/enum_mapping.h"
#include "core/time.h"
#include "tether/tether.h"

using tether::capi::call_with_client;
using tether::capi::ClientHandle;

namespace {

// From offset 8 on every tether_stats field is 8 bytes (no pointers), so a
// size rounded down to 8 ends on a field boundary.
static_assert(offsetof(tether_stats, messages_sent) == 8 && sizeof(tether_stats) % 8 == 0,
              "tether_stats: whole fields are no longer 8-byte units");
constexpr uint32_t kStatsHeaderSize = offsetof(tether_stats, messages_sent);

// Writes the whole fields that fit in out->struct_size bytes and nothing
// past them, so a caller built against an older, shorter tether_stats is
// never overrun; struct_size itself is left as the caller set it.
int32_t write_stats(ClientHandle& c, const tether::client::ConnectionStats& in, tether_stats* out) {
  if (out == nullptr) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "stats: out_stats is NULL");
  const uint32_t size = out->struct_size;
  if (size < kStatsHeaderSize || size > sizeof(tether_stats)) {
    return c.fail(TETHER_ERROR_INVALID_ARGUMENT,
                  "stats: out_stats->struct_size must be 8..sizeof(tether_stats): set it to sizeof(tether_stats)");
  }
  tether_stats stats{};
  stats.struct_size = size;
  stats.state = tether::capi::to_c(in.state);
  stats.messages_sent = in.messages_sent;
  stats.messages_received = in.messages_received;
  stats.bytes_sent = in.bytes_sent;
  stats.bytes_received = in.bytes_received;
  stats.errors = in.errors;
  stats.reconnects = in.reconnects;
  stats.pending_acks = in.pending_acks;
  stats.queued = in.queued;
  stats.routed = in.routed;
  stats.sim_dropped = in.sim_dropped;
  stats.rtt_ms = in.rtt_ms;
  stats.url_index = in.url_index;
  std::memcpy(out, &stats, size - size % 8);
  return TETHER_OK;
}

thread_local std::string t_last_error_copy;

}  // namespace

extern "C" {

int32_t tether_client_pool_size(tether_client* client) {
  return call_with_client(client, [](ClientHandle& c) -> int32_t {
    return static_cast<int32_t>(c.engine().pool_size());
  });
}

int32_t tether_client_connection_stats(tether_client* client, uint32_t index, tether_stats* out_stats) {
  return call_with_client(client, [index, out_stats](ClientHandle& c) -> int32_t {
    if (index >= c.engine().pool_size()) {
      return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "stats: index out of range");
    }
    return write_stats(c, c.engine().connection_stats(index), out_stats);
  });
}

int32_t tether_client_pool_stats(tether_client* client, tether_stats* out_stats) {
  return call_with_client(client, [out_stats](ClientHandle& c) -> int32_t {
    return write_stats(c, c.engine().pool_stats(), out_stats);
  });
}

int32_t tether_client_simulate(tether_client* client, int64_t latency_ms, double drop_rate) {
  return call_with_client(client, [latency_ms, drop_rate](ClientHandle& c) -> int32_t {
    // At most the longest duration anywhere else (7 days): now + latency stays far from overflow.
    if (latency_ms < 0 || latency_ms > tether::core::kMaxDurationMs) {
      return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "simulate: latency_ms must be in 0..604800000");
    }
    if (!(drop_rate >= 0 && drop_rate < 1)) {
      return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "simulate: drop_rate must be in [0, 1)");
    }
    tether::client::NetworkSimulation simulation;
    simulation.latency_ms = latency_ms;
    simulation.drop_rate = drop_rate;
    c.engine().set_simulation(simulation);
    return TETHER_OK;
  });
}

int32_t tether_client_simulate_cut(tether_client* client, int32_t index) {
  return call_with_client(client, [index](ClientHandle& c) -> int32_t {
    if (index < -1 || (index >= 0 && static_cast<uint32_t>(index) >= c.engine().pool_size())) {
      return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "simulate_cut: index must be -1 or a pool index");
    }
    c.engine().simulate_cut(index);
    return TETHER_OK;
  });
}

int32_t tether_client_set_log_level(tether_client* client, int32_t level) {
  return call_with_client(client, [level](ClientHandle& c) -> int32_t {
    tether::client::LogLevel engine_level;
    if (!tether::capi::from_c(level, engine_level)) {
      return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "set_log_level: not a tether_log_level");
    }
    c.engine().set_log_level(engine_level);
    return TETHER_OK;
  });
}

const char* tether_client_last_error(tether_client* client) {
  try {
    std::shared_ptr<ClientHandle> handle = tether::capi::HandleRegistry::instance().find(client);
    t_last_error_copy = handle ? handle->last_error() : tether::capi::thread_error();
  } catch (...) {
    return "out of memory while reading the last error";
  }
  return t_last_error_copy.c_str();
}

}  // extern "C"
