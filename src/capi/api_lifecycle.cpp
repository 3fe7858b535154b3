// C functions that create, drive and destroy a client.
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
    if (config->struct_size != sizeof(tether_config)) {
      return fail_without_client(TETHER_ERROR_INVALID_ARGUMENT,
                                 "config->struct_size is not sizeof(tether_config): call tether_config_init()");
    }
    tether::client::EngineConfig engine_config;
    if (const char* problem = tether::capi::translate_config(*config, engine_config)) {
      return fail_without_client(TETHER_ERROR_INVALID_CONFIG, problem);
    }
    std::string error;
    std::unique_ptr<tether::client::Engine> engine = tether::client::Engine::create(std::move(engine_config), &error);
    if (!engine) return fail_without_client(TETHER_ERROR_INVALID_CONFIG, error);
    *out_client = HandleRegistry::instance().add(std::make_shared<ClientHandle>(std::move(engine)));
    return TETHER_OK;
  } catch (...) {
    return tether::capi::fail_from_exception(nullptr);
  }
}

void tether_client_destroy(tether_client* client) {
  try {
    // A call still running on another thread holds its own reference and
    // finishes first; the engine is destroyed by whoever lets go last.
    std::shared_ptr<ClientHandle> handle = HandleRegistry::instance().remove(client);
    handle.reset();
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
    c.engine().set_token(token);
    return TETHER_OK;
  });
}

}  // extern "C"
