// C functions that hand events to the host: pump(), pump_events() and event().
#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>

#include "capi/api_guard.h"
#include "capi/event_translation.h"
#include "tether/tether.h"

using tether::capi::call_with_client;
using tether::capi::ClientHandle;

namespace {

// Takes the engine's new events into the client's tether_event array.
int32_t pump_events(ClientHandle& c, const tether_event** out_events) {
  std::lock_guard<std::mutex> lock(c.pump_mutex());
  const size_t count = c.engine().pump();
  tether::capi::translate_events(c.engine(), count, c.events(), c.permissions_text());
  if (out_events != nullptr && count > 0) *out_events = c.events().data();
  // Unreachable with max_pending_events <= 2^30; a cap rather than a wrap.
  return static_cast<int32_t>(std::min<size_t>(count, std::numeric_limits<int32_t>::max()));
}

}  // namespace

extern "C" {

int32_t tether_client_pump(tether_client* client) {
  return call_with_client(client, [](ClientHandle& c) { return pump_events(c, nullptr); });
}

int32_t tether_client_pump_events(tether_client* client, const tether_event** out_events) {
  if (out_events != nullptr) *out_events = nullptr;
  return call_with_client(client, [out_events](ClientHandle& c) -> int32_t {
    if (out_events == nullptr) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "out_events is NULL");
    return pump_events(c, out_events);
  });
}

const tether_event* tether_client_event(tether_client* client, uint32_t index) {
  const tether_event* event = nullptr;
  call_with_client(client, [index, &event](ClientHandle& c) -> int32_t {
    std::lock_guard<std::mutex> lock(c.pump_mutex());
    if (index >= c.events().size()) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "event index out of range");
    event = &c.events()[index];
    return TETHER_OK;
  });
  return event;
}

}  // extern "C"
