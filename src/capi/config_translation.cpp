#include "capi/config_translation.h"

#include <cstddef>
#include <cstdint>
#include <limits>

#include "capi/enum_mapping.h"

namespace tether::capi {

namespace {

// Above this many pending events pump() could not report the count as int32_t.
constexpr uint64_t kMaxPendingEvents = uint64_t{1} << 30;

// A caller built against an older header passes a smaller struct_size; a
// field past its end was never written and keeps the engine's default.
template <typename Field>
bool caller_has(const tether_config& c, size_t field_offset) {
  return c.struct_size >= field_offset + sizeof(Field);
}

template <typename To, typename From>
bool fits(From value) {
  return value <= static_cast<From>(std::numeric_limits<To>::max());
}

}  // namespace

void fill_defaults(tether_config& c) {
  const client::EngineConfig d;
  const core::ClientConfig& s = d.session;
  c = tether_config{};
  c.struct_size = sizeof(tether_config);
  c.pool_size = d.pool_size;
  c.balance_strategy = to_c(d.strategy);
  c.backoff_initial_ms = s.backoff.initial_delay_ms;
  c.backoff_max_ms = s.backoff.max_delay_ms;
  c.backoff_decay = s.backoff.decay;
  c.backoff_stable_ms = s.backoff.stable_after_ms;
  c.backoff_jitter = to_c(s.backoff.jitter);
  c.backoff_max_attempts = s.backoff.max_attempts;
  c.connect_timeout_ms = s.connect_timeout_ms;
  c.heartbeat_interval_ms = s.heartbeat.interval_ms;
  c.heartbeat_timeout_ms = s.heartbeat.timeout_ms;
  c.ack_timeout_ms = s.reliable.ack_timeout_ms;
  c.ack_max_retries = s.reliable.max_retries;
  c.max_in_flight = s.reliable.max_in_flight;
  c.queue_max_messages = s.reliable.queue_max_messages;
  c.queue_max_bytes = s.reliable.queue_max_bytes;
  c.receive_window = s.receive_window;
  c.max_message_bytes = static_cast<uint32_t>(s.limits.max_frame_bytes);
  c.tls_verify_peer = d.tls_verify_peer ? 1 : 0;
  c.auth_timeout_ms = s.auth_timeout_ms;
  c.refresh_lead_ms = s.refresh_lead_ms;
  c.refresh_timeout_ms = s.refresh_timeout_ms;
  c.max_pending_events = d.max_pending_events;
  c.max_pending_event_bytes = d.max_pending_event_bytes;
  c.seed = d.seed;
  c.log_level = to_c(d.log_level);
  c.io_mode = TETHER_IO_THREAD;
}

const char* translate_config(const tether_config& c, client::EngineConfig& out) {
  out = client::EngineConfig{};
  if (c.url != nullptr) out.urls.emplace_back(c.url);
  if (c.url_count > 0 && c.urls == nullptr) return "urls is NULL but url_count > 0";
  for (uint32_t i = 0; i < c.url_count; ++i) {
    if (c.urls[i] == nullptr) return "urls contains a NULL entry";
    out.urls.emplace_back(c.urls[i]);
  }
  out.pool_size = c.pool_size;
  if (!from_c(c.balance_strategy, out.strategy)) return "balance_strategy is not a tether_balance_strategy";

  core::ClientConfig& s = out.session;
  s.backoff.initial_delay_ms = c.backoff_initial_ms;
  s.backoff.max_delay_ms = c.backoff_max_ms;
  s.backoff.decay = c.backoff_decay;
  s.backoff.stable_after_ms = c.backoff_stable_ms;
  if (!from_c(c.backoff_jitter, s.backoff.jitter)) return "backoff_jitter is not a tether_jitter";
  s.backoff.max_attempts = c.backoff_max_attempts;
  s.connect_timeout_ms = c.connect_timeout_ms;
  s.heartbeat.interval_ms = c.heartbeat_interval_ms;
  s.heartbeat.timeout_ms = c.heartbeat_timeout_ms;

  s.reliable.ack_timeout_ms = c.ack_timeout_ms;
  s.reliable.max_retries = c.ack_max_retries;
  s.reliable.max_in_flight = c.max_in_flight;
  if (!fits<size_t>(c.queue_max_messages)) return "queue_max_messages is too large for this platform";
  if (!fits<size_t>(c.queue_max_bytes)) return "queue_max_bytes is too large for this platform";
  s.reliable.queue_max_messages = static_cast<size_t>(c.queue_max_messages);
  s.reliable.queue_max_bytes = static_cast<size_t>(c.queue_max_bytes);
  s.receive_window = c.receive_window;
  s.limits.max_frame_bytes = c.max_message_bytes;

  if (c.token != nullptr) s.token = c.token;
  if (c.tls_ca_file != nullptr) out.tls_ca_file = c.tls_ca_file;
  if (c.tls_ca_pem != nullptr) out.tls_ca_pem = c.tls_ca_pem;
  if (c.tls_pin_count > 0 && c.tls_pins == nullptr) return "tls_pins is NULL but tls_pin_count > 0";
  for (uint32_t i = 0; i < c.tls_pin_count; ++i) {
    if (c.tls_pins[i] == nullptr) return "tls_pins contains a NULL entry";
    out.tls_pinned_spki_sha256.emplace_back(c.tls_pins[i]);
  }
  if (c.tls_verify_peer > 1) return "tls_verify_peer must be 0 or 1";
  out.tls_verify_peer = c.tls_verify_peer == 1;
  s.auth_timeout_ms = c.auth_timeout_ms;
  s.refresh_lead_ms = c.refresh_lead_ms;
  s.refresh_timeout_ms = c.refresh_timeout_ms;

  if (c.max_pending_events > kMaxPendingEvents) return "max_pending_events must be <= 2^30";
  out.max_pending_events = static_cast<size_t>(c.max_pending_events);
  if (caller_has<uint64_t>(c, offsetof(tether_config, max_pending_event_bytes))) {
    if (c.max_pending_event_bytes < client::kMinPendingEventBytes) return "max_pending_event_bytes must be >= 65536";
    out.max_pending_event_bytes = c.max_pending_event_bytes;
  }
  out.seed = c.seed;
  if (!from_c(c.log_level, out.log_level)) return "log_level is not a tether_log_level";
  switch (c.io_mode) {
    case TETHER_IO_THREAD:
      out.io_mode = client::IoMode::Thread;
      break;
    case TETHER_IO_PUMP:
      out.io_mode = client::IoMode::Pump;
      break;
    default:
      return "io_mode is not a tether_io_mode";
  }
#ifdef __EMSCRIPTEN__
  // The browser build (src/web): no threads, so the browser's event loop and
  // pump() do the network work whatever io_mode says; and TLS is the
  // browser's to verify, against its own trust store.
  out.io_mode = client::IoMode::Pump;
  if (!out.tls_verify_peer || !out.tls_ca_file.empty() || !out.tls_ca_pem.empty() ||
      !out.tls_pinned_spki_sha256.empty()) {
    return "tls_pins, tls_ca_file, tls_ca_pem and tls_verify_peer = 0 are not available in the browser, "
           "which verifies TLS itself";
  }
#endif
  return client::validate(out);
}

}  // namespace tether::capi
