#include "client/engine_types.h"

#include "transport/ws_client.h"

namespace tether::client {

const char* validate(const EngineConfig& config) {
  if (config.urls.empty()) return "at least one url is required";
  for (const std::string& url : config.urls) {
    if (url.rfind("ws://", 0) != 0 && url.rfind("wss://", 0) != 0) return "urls must start with ws:// or wss://";
  }
  for (const std::string& pin : config.tls_pinned_spki_sha256) {
    if (!transport::is_valid_spki_pin(pin)) {
      return "tls_pins entries must be base64(SHA-256(SPKI DER)): 44 characters decoding to 32 bytes";
    }
  }
  if (config.pool_size == 0 || config.pool_size > 64) return "pool size must be between 1 and 64";
  if (config.max_pending_events == 0) return "max pending events must be > 0";
  if (config.max_pending_event_bytes < kMinPendingEventBytes) return "max pending event bytes must be >= 65536";
  if (config.simulation.latency_ms < 0) return "simulated latency must be >= 0";
  // 1 is allowed: a silent dead link, for testing heartbeat detection.
  if (!(config.simulation.drop_rate >= 0 && config.simulation.drop_rate <= 1)) {
    return "simulated drop rate must be in [0, 1]";
  }
  return core::validate(config.session);
}

size_t event_bytes(const EngineEvent& event) {
  const core::ClientEvent& e = event.session;
  size_t bytes = e.channel.size() + e.data.size() + e.code.size() + e.reason.size() + e.action.size() +
                 e.token.size() + e.user_id.size() + e.session.size();
  for (const std::string& permission : e.permissions) bytes += permission.size() + 1;
  return bytes;
}

void ConnectionStats::add(const ConnectionStats& o) {
  messages_sent += o.messages_sent;
  messages_received += o.messages_received;
  bytes_sent += o.bytes_sent;
  bytes_received += o.bytes_received;
  errors += o.errors;
  reconnects += o.reconnects;
  pending_acks += o.pending_acks;
  queued += o.queued;
  routed += o.routed;
  sim_dropped += o.sim_dropped;
  deferred_reliable += o.deferred_reliable;
  dropped_unreliable += o.dropped_unreliable;
}

}  // namespace tether::client
