#include "capi/handle_registry.h"

#include <chrono>
#include <cstdlib>
#include <vector>

namespace tether::capi {

namespace {

uintptr_t key_of(const tether_client* handle) { return reinterpret_cast<uintptr_t>(handle); }

constexpr int kIdBits = static_cast<int>(sizeof(uintptr_t) * 8);
// Random bits below the counter: neighbouring handles differ unpredictably.
constexpr int kRandomBits = kIdBits >= 64 ? 16 : 8;
constexpr uint64_t kTopBit = uint64_t{1} << (kIdBits - 1);

uint64_t entropy() {
  uint64_t seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  try {
    std::random_device device;
    seed ^= (static_cast<uint64_t>(device()) << 32) ^ device();
  } catch (...) {
    // No entropy source: the clock still varies the salt between runs.
  }
  return seed;
}

}  // namespace

HandleRegistry::HandleRegistry() : random_bits_(entropy()) {
  // The counter never reaches the top bit (2^47 creates on 64-bit targets),
  // so every id has it set: never 0, never a small number.
  salt_ = (random_bits_() & (kTopBit | (kTopBit - 1))) | kTopBit;
}

HandleRegistry& HandleRegistry::instance() {
  static HandleRegistry* registry = new HandleRegistry();
  return *registry;
}

uintptr_t HandleRegistry::next_id() {
  for (;;) {
    // Distinct counters give distinct ids, so an id is never reused (on
    // 32-bit targets the counter wraps after 2^23 creates; then a live id
    // is skipped).
    const uint64_t counter = ++counter_ & ((kTopBit - 1) >> kRandomBits);
    const uint64_t low = random_bits_() & ((uint64_t{1} << kRandomBits) - 1);
    const uintptr_t id = static_cast<uintptr_t>(((counter << kRandomBits) | low) ^ salt_);
    if (id != 0 && live_.count(id) == 0) return id;
  }
}

tether_client* HandleRegistry::add(std::shared_ptr<ClientHandle> client) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uintptr_t id = next_id();
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

void HandleRegistry::halt_all() noexcept {
  // try_lock: on Windows the handler runs after the OS ended every other
  // thread, one of which may have died holding the lock.
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  // Kept forever: a call still running on another thread holds its own
  // reference, and freeing a client now would run its teardown while the
  // process's static state is being destroyed.
  static auto* halted = new std::vector<std::shared_ptr<ClientHandle>>();
  for (auto& [id, client] : live_) {
    client->halt_for_exit();
    halted->push_back(std::move(client));
  }
  live_.clear();
}

void HandleRegistry::stop_live_clients_at_exit_once() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    instance();  // never destroyed, so alive in the handler
    client::Engine::construct_process_state();
    std::atexit([] { instance().halt_all(); });
  });
}

}  // namespace tether::capi
