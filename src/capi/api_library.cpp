// Library-wide C functions: version, static names, config defaults.
#include <cstring>

#include "capi/api_guard.h"
#include "capi/config_translation.h"
#include "tether/tether.h"

#define TETHER_STRINGIFY_(x) #x
#define TETHER_STRINGIFY(x) TETHER_STRINGIFY_(x)

extern "C" {

uint32_t tether_version(void) { return TETHER_VERSION; }

const char* tether_version_string(void) {
  return TETHER_STRINGIFY(TETHER_VERSION_MAJOR) "." TETHER_STRINGIFY(TETHER_VERSION_MINOR) "." TETHER_STRINGIFY(
      TETHER_VERSION_PATCH);
}

const char* tether_result_string(int32_t result) {
  switch (result) {
    case TETHER_OK: return "ok";
    case TETHER_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case TETHER_ERROR_INVALID_HANDLE: return "invalid handle";
    case TETHER_ERROR_INVALID_CONFIG: return "invalid config";
    case TETHER_ERROR_INVALID_PAYLOAD: return "invalid payload";
    case TETHER_ERROR_PAYLOAD_TOO_LARGE: return "payload too large";
    case TETHER_ERROR_QUEUE_FULL: return "queue full";
    case TETHER_ERROR_PERMISSION_DENIED: return "permission denied";
    case TETHER_ERROR_WRONG_STATE: return "wrong state";
    case TETHER_ERROR_INVALID_CHANNEL: return "invalid channel";
    case TETHER_ERROR_OUT_OF_MEMORY: return "out of memory";
    case TETHER_ERROR_INTERNAL: return "internal error";
    case TETHER_ERROR_UNSUPPORTED: return "unsupported";
    default: return "unknown result";
  }
}

const char* tether_state_string(uint32_t state) {
  switch (state) {
    case TETHER_STATE_IDLE: return "idle";
    case TETHER_STATE_CONNECTING: return "connecting";
    case TETHER_STATE_AUTHENTICATING: return "authenticating";
    case TETHER_STATE_READY: return "ready";
    case TETHER_STATE_RECONNECTING: return "reconnecting";
    case TETHER_STATE_CLOSED: return "closed";
    case TETHER_STATE_GAVE_UP: return "gave_up";
    case TETHER_STATE_UNAUTHORIZED: return "unauthorized";
    default: return "unknown";
  }
}

const char* tether_event_type_string(uint32_t type) {
  switch (type) {
    case TETHER_EVENT_STATE_CHANGED: return "state_changed";
    case TETHER_EVENT_MESSAGE: return "message";
    case TETHER_EVENT_ACK: return "ack";
    case TETHER_EVENT_SEND_FAILED: return "send_failed";
    case TETHER_EVENT_AUTH_OK: return "auth_ok";
    case TETHER_EVENT_AUTH_FAILED: return "auth_failed";
    case TETHER_EVENT_TOKEN_REFRESHED: return "token_refreshed";
    case TETHER_EVENT_TOKEN_EXPIRING: return "token_expiring";
    case TETHER_EVENT_PERMISSION_DENIED: return "permission_denied";
    case TETHER_EVENT_SUBSCRIBED: return "subscribed";
    case TETHER_EVENT_UNSUBSCRIBED: return "unsubscribed";
    case TETHER_EVENT_ERROR: return "error";
    case TETHER_EVENT_TRANSPORT_ERROR: return "transport_error";
    case TETHER_EVENT_LOG: return "log";
    default: return "unknown";
  }
}

int32_t tether_config_init_sized(tether_config* config, uint32_t struct_size) {
  if (config == nullptr) {
    return tether::capi::fail_without_client(TETHER_ERROR_INVALID_ARGUMENT, "config is NULL");
  }
  if (!tether::capi::is_known_config_size(struct_size)) {
    return tether::capi::fail_without_client(
        TETHER_ERROR_INVALID_ARGUMENT, "struct_size is not sizeof(tether_config) of this or an older version");
  }
  tether_config defaults;
  tether::capi::fill_defaults(defaults);
  defaults.struct_size = struct_size;
  std::memcpy(config, &defaults, struct_size);
  return TETHER_OK;
}

// The exported symbol behind the header's macro: programs built against 0.1
// call it, and their struct ends where 0.1's did.
#undef tether_config_init
int32_t tether_config_init(tether_config* config) {
  return tether_config_init_sized(config, tether::capi::kConfigSize_0_1);
}

}  // extern "C"
