// C functions that create, drive and destroy a client.
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "capi/api_guard.h"
#include "capi/config_translation.h"
#include "tether/tether.h"

using tether::capi::call_with_client;
using tether::capi::ClientHandle;
using tether::capi::fail_without_client;
using tether::capi::HandleRegistry;

extern "C" {

int32_t tether_client_create(const tether_config* config, tether_client** out_client) {
  try {
    if (out_client == nullptr) return fail_without_client(TETHER_ERROR_INVALID_ARGUMENT, "out_client is NULL");
    *out_client = nullptr;
    if (config == nullptr) return fail_without_client(TETHER_ERROR_INVALID_ARGUMENT, "config is NULL");
    if (!tether::capi::is_known_config_size(config->struct_size)) {
      return fail_without_client(TETHER_ERROR_INVALID_ARGUMENT,
                                 "config->struct_size is not the sizeof(tether_config) of this or an older "
                                 "version: call tether_config_init()");
    }
    // An older caller's smaller struct: its fields over the defaults, and
    // nothing read past its end.
    tether_config full;
    tether::capi::fill_defaults(full);
    std::memcpy(&full, config, config->struct_size);
    full.struct_size = sizeof(tether_config);
    tether::client::EngineConfig engine_config;
    if (const char* problem = tether::capi::translate_config(full, engine_config)) {
      return fail_without_client(TETHER_ERROR_INVALID_CONFIG, problem);
    }
    std::string error;
    std::unique_ptr<tether::client::Engine> engine = tether::client::Engine::create(std::move(engine_config), &error);
    if (!engine) return fail_without_client(TETHER_ERROR_INVALID_CONFIG, error);
    HandleRegistry::stop_live_clients_at_exit_once();
    *out_client = HandleRegistry::instance().add(std::make_shared<ClientHandle>(std::move(engine)));
    return TETHER_OK;
  } catch (...) {
    return tether::capi::fail_from_exception(nullptr);
  }
}

void tether_client_destroy(tether_client* client) {
  try {
    // Later calls no longer find the handle; calls already running on other
    // threads finish first (destroy() waits for them), then the engine goes.
    std::shared_ptr<ClientHandle> handle = HandleRegistry::instance().remove(client);
    if (handle) handle->destroy();
  } catch (...) {
    tether::capi::fail_from_exception(nullptr);
  }
}

int32_t tether_client_connect(tether_client* client) {
  return call_with_client(client, [](ClientHandle& c) -> int32_t {
    c.engine().connect();
    return TETHER_OK;
  });
}

int32_t tether_client_close(tether_client* client) {
  return call_with_client(client, [](ClientHandle& c) -> int32_t {
    c.engine().close();
    return TETHER_OK;
  });
}

int32_t tether_client_reconnect_now(tether_client* client) {
  return call_with_client(client, [](ClientHandle& c) -> int32_t {
    c.engine().reconnect_now();
    return TETHER_OK;
  });
}

int32_t tether_client_set_token(tether_client* client, const char* token) {
  return call_with_client(client, [token](ClientHandle& c) -> int32_t {
    if (token == nullptr) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "token is NULL");
    if (!c.engine().set_token(token)) return c.fail(TETHER_ERROR_INVALID_ARGUMENT, "token is not valid UTF-8");
    return TETHER_OK;
  });
}

}  // extern "C"
