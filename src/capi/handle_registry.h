#pragma once
// The live tether_client handles. A handle is an id that is never reused and
// never dereferenced, so a destroyed or made-up handle is detected, not
// followed. Ids are not small sequential numbers (a per-process random salt,
// random low bits, the top bit set), so a garbage value or an off-by-one
// handle is rejected instead of hitting another live client. Calls hold a
// shared_ptr for their duration, so the ClientHandle outlives every call.
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
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

  // Called by each create: the first one registers an exit handler (after
  // constructing what the io threads use, so the handler runs before that
  // is destroyed). At exit, or when the library is unloaded, the handler
  // ends every live client's io thread, forgets the handles (later calls,
  // destroy included, get INVALID_HANDLE) and leaves the clients to the OS.
  static void stop_live_clients_at_exit_once();

 private:
  HandleRegistry();
  void halt_all() noexcept;
  uintptr_t next_id();  // caller holds mutex_

  mutable std::mutex mutex_;
  std::unordered_map<uintptr_t, std::shared_ptr<ClientHandle>> live_;
  std::mt19937_64 random_bits_;
  uint64_t salt_ = 0;
  uint64_t counter_ = 0;
};

}  // namespace tether::capi
