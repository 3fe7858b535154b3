#include "capi/api_guard.h"

#include <exception>
#include <new>

namespace tether::capi {

namespace {
thread_local std::string t_thread_error;
}  // namespace

int32_t fail_without_client(int32_t result, std::string_view text) noexcept {
  try {
    t_thread_error.assign(text);
  } catch (...) {
    // No memory for the detail: the result code still tells the story.
  }
  return result;
}

std::string thread_error() { return t_thread_error; }

int32_t fail_from_exception(ClientHandle* client) noexcept {
  int32_t result = TETHER_ERROR_INTERNAL;
  const char* text = "unknown exception";
  try {
    throw;
  } catch (const std::bad_alloc&) {
    result = TETHER_ERROR_OUT_OF_MEMORY;
    text = "out of memory";
  } catch (const std::exception& e) {
    text = e.what();
  } catch (...) {
  }
  return client != nullptr ? client->fail(result, text) : fail_without_client(result, text);
}

}  // namespace tether::capi
