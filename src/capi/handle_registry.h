#pragma once
// The live tether_client handles. A handle is an id that is never reused and
// never dereferenced, so a destroyed or made-up handle is detected, not
// followed. Calls hold a shared_ptr for their duration: destroy() on another
// thread cannot free a client under a running call.
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "capi/client_handle.h"

namespace tether::capi {

class HandleRegistry {
 public:
  // The process-wide registry. Never destroyed: clients still alive at exit
  // are left to the OS rather than joined during static destruction.
  static HandleRegistry& instance();

  tether_client* add(std::shared_ptr<ClientHandle> client);
  // Null if `handle` is not live.
  std::shared_ptr<ClientHandle> find(const tether_client* handle) const;
  // Unregisters and returns the client (null if not live).
  std::shared_ptr<ClientHandle> remove(const tether_client* handle);

 private:
  HandleRegistry() = default;

  mutable std::mutex mutex_;
  std::unordered_map<uintptr_t, std::shared_ptr<ClientHandle>> live_;
  uintptr_t next_id_ = 1;
};

}  // namespace tether::capi
