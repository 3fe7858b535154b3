#pragma once
// The exception barrier every extern "C" body goes through, and where failed
// calls leave their detail text (per client, or per thread without one).
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "capi/client_handle.h"
#include "capi/handle_registry.h"
#include "tether/tether.h"

namespace tether::capi {

constexpr const char* kInvalidHandleText = "not a live tether_client (NULL, destroyed, or never created)";

// Failures with no live client to hold their detail: create, invalid handles.
int32_t fail_without_client(int32_t result, std::string_view text) noexcept;
std::string thread_error();

// Call only inside a catch block: maps the exception being handled to a
// result and records its text on `client` (or the thread, if null).
int32_t fail_from_exception(ClientHandle* client) noexcept;

// Runs body(ClientHandle&) -> int32_t for a live handle; no exception escapes.
// A destroy() on another thread waits until body returns.
template <typename Body>
int32_t call_with_client(const tether_client* handle, Body&& body) noexcept {
  std::shared_ptr<ClientHandle> client;
  try {
    client = HandleRegistry::instance().find(handle);
    if (!client) return fail_without_client(TETHER_ERROR_INVALID_HANDLE, kInvalidHandleText);
    std::shared_lock<std::shared_mutex> alive(client->lifetime());
    if (client->destroyed()) return fail_without_client(TETHER_ERROR_INVALID_HANDLE, kInvalidHandleText);
    return body(*client);
  } catch (...) {
    return fail_from_exception(client.get());
  }
}

}  // namespace tether::capi
