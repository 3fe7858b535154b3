// C functions that hand events to the host: pump() and event().
#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>

#include "capi/api_guard.h"
#include "capi/event_translation.h"
#include "tether/tether.h"

using tether::capi::call_with_client;
using tether::capi::ClientHandle;

extern "C" {

int32_t tether_client_pump(tether_client* client) {
  return call_with_client(client, [](ClientHandle& c) -> int32_t {
    std::lock_guard<std::mutex> lock(c.pump_mutex());
    const size_t count = c.engine().pump();
    tether::capi::translate_events(c.engine(), count, c.events(), c.permissions_text());
    // Unreachable with max_pending_events <= 2^30; a cap rather than a wrap.
    return static_cast<int32_t>(std::min<size_t>(count, std::numeric_limits<int32_t>::max()));
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
