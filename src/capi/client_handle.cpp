#include "capi/client_handle.h"

namespace tether::capi {

void ClientHandle::destroy() {
  std::unique_ptr<client::Engine> engine;
  std::vector<tether_event> events;
  std::string permissions_text;
  {
    std::unique_lock<std::shared_mutex> lock(lifetime_);
    engine = std::move(engine_);
    events.swap(events_);
    permissions_text.swap(permissions_text_);
  }
  // Freed outside the lock: calls still waiting for it see destroyed() at once.
  engine.reset();
}

int32_t ClientHandle::fail(int32_t result, std::string_view text) noexcept {
  try {
    std::lock_guard<std::mutex> lock(error_mutex_);
    last_error_.assign(text);
  } catch (...) {
    // Out of memory for the detail text: the result code still tells the story.
  }
  return result;
}

std::string ClientHandle::last_error() const {
  std::lock_guard<std::mutex> lock(error_mutex_);
  return last_error_;
}

}  // namespace tether::capi
