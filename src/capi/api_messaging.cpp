// C functions that send and subscribe.
#include <string>
#include <string_view>

#include "capi/api_guard.h"
#include "capi/enum_mapping.h"
#include "tether/tether.h"

using tether::capi::call_with_client;
using tether::capi::ClientHandle;

namespace {

// Turns an engine refusal into a result with a detail naming the cause.
int32_t refusal(ClientHandle& c, tether::core::SendStatus status, const char* operation) {
  const int32_t result = tether::capi::to_c(status);
  if (result == TETHER_OK) return TETHER_OK;
  return c.fail(result, std::string(operation) + ": " + tether::core::send_status_name(status));
}

int32_t subscription(tether_client* client, const char* channel, bool subscribe) {
  return call_with_client(client, [channel, subscribe](ClientHandle& c) -> int32_t {
    const char* operation = subscribe ? "subscribe" : "unsubscribe";
    if (channel == nullptr) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, std::string(operation) + ": channel is NULL");
    const auto status = subscribe ? c.engine().subscribe(channel) : c.engine().unsubscribe(channel);
    return refusal(c, status, operation);
  });
}

}  // namespace

extern "C" {

int32_t tether_client_send(tether_client* client, const char* channel, const char* json, size_t json_len,
                           uint32_t flags, uint64_t* out_message_id) {
  if (out_message_id != nullptr) *out_message_id = 0;
  return call_with_client(client, [&](ClientHandle& c) -> int32_t {
    if (channel == nullptr) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "send: channel is NULL");
    if (json == nullptr) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "send: json is NULL");
    if ((flags & ~TETHER_SEND_RELIABLE) != 0) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "send: unknown flags");
    const bool reliable = (flags & TETHER_SEND_RELIABLE) != 0;
    const auto status = c.engine().send(channel, std::string_view(json, json_len), reliable, out_message_id);
    return refusal(c, status, "send");
  });
}

int32_t tether_client_send_bytes(tether_client* client, const char* channel, const void* data, size_t data_len,
                                 uint32_t flags, uint64_t* out_message_id) {
  if (out_message_id != nullptr) *out_message_id = 0;
  return call_with_client(client, [&](ClientHandle& c) -> int32_t {
    if (channel == nullptr) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "send_bytes: channel is NULL");
    if (data == nullptr && data_len != 0) {
      return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "send_bytes: data is NULL with data_len > 0");
    }
    if ((flags & ~TETHER_SEND_RELIABLE) != 0) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "send_bytes: unknown flags");
    const bool reliable = (flags & TETHER_SEND_RELIABLE) != 0;
    const std::string_view bytes = data_len == 0 ? std::string_view() : std::string_view(static_cast<const char*>(data), data_len);
    const auto status = c.engine().send(channel, bytes, reliable, out_message_id, tether::core::PayloadKind::Binary);
    return refusal(c, status, "send_bytes");
  });
}

int32_t tether_client_subscribe(tether_client* client, const char* channel) {
  return subscription(client, channel, true);
}

int32_t tether_client_unsubscribe(tether_client* client, const char* channel) {
  return subscription(client, channel, false);
}

}  // extern "C"
