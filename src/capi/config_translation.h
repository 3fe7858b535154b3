#pragma once
// tether_config (C, flat, fixed layout) <-> client::EngineConfig. The C
// defaults are read from a default EngineConfig, so they cannot drift apart.
#include <string>

#include "client/engine_types.h"
#include "tether/tether.h"

namespace tether::capi {

void fill_defaults(tether_config& config);

// Converts and validates (the C-level checks here, then client::validate).
// Returns nullptr on success, else static text naming the problem.
const char* translate_config(const tether_config& config, client::EngineConfig& out);

}  // namespace tether::capi
