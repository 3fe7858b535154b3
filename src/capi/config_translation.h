#pragma once
// tether_config (C, flat, fixed layout) <-> client::EngineConfig. The C
// defaults are read from a default EngineConfig, so they cannot drift apart.
#include <cstddef>
#include <cstdint>
#include <string>

#include "client/engine_types.h"
#include "tether/tether.h"

namespace tether::capi {

// tether_config as 0.1 knew it: everything up to and including io_mode (which 0.1 named reserved0).
constexpr uint32_t kConfigSize_0_1 = offsetof(tether_config, max_pending_event_bytes);

// A struct_size this library can read: this version's or an older one's.
inline bool is_known_config_size(uint32_t struct_size) {
  return struct_size == sizeof(tether_config) || struct_size == kConfigSize_0_1;
}

void fill_defaults(tether_config& config);

// Converts and validates (the C-level checks here, then client::validate).
// Returns nullptr on success, else static text naming the problem.
const char* translate_config(const tether_config& config, client::EngineConfig& out);

}  // namespace tether::capi
