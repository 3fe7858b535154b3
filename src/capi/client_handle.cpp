#include "capi/client_handle.h"

namespace tether::capi {

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
