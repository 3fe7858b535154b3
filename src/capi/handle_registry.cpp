#include "capi/handle_registry.h"

namespace tether::capi {

namespace {
uintptr_t key_of(const tether_client* handle) { return reinterpret_cast<uintptr_t>(handle); }
}  // namespace

HandleRegistry& HandleRegistry::instance() {
  static HandleRegistry* registry = new HandleRegistry();
  return *registry;
}

tether_client* HandleRegistry::add(std::shared_ptr<ClientHandle> client) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uintptr_t id = next_id_++;
  live_.emplace(id, std::move(client));
  return reinterpret_cast<tether_client*>(id);
}

std::shared_ptr<ClientHandle> HandleRegistry::find(const tether_client* handle) const {
  if (handle == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = live_.find(key_of(handle));
  return found == live_.end() ? nullptr : found->second;
}

std::shared_ptr<ClientHandle> HandleRegistry::remove(const tether_client* handle) {
  if (handle == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto found = live_.find(key_of(handle));
  if (found == live_.end()) return nullptr;
  std::shared_ptr<ClientHandle> client = std::move(found->second);
  live_.erase(found);
  return client;
}

}  // namespace tether::capi
