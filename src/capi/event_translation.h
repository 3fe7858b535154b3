#pragma once
// EngineEvent -> tether_event. Text fields point into the engine's event
// storage (valid until its next pump), so nothing is copied except AUTH_OK
// permission lists, which are joined into a buffer the caller reuses.
#include <string>
#include <vector>

#include "client/engine.h"
#include "tether/tether.h"

namespace tether::capi {

// Translates the engine's current `count` events into `out` (resized, its
// capacity reused) using `permissions_text` as the join buffer.
void translate_events(const client::Engine& engine, size_t count, std::vector<tether_event>& out,
                      std::string& permissions_text);

}  // namespace tether::capi
