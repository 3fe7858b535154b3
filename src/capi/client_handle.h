#pragma once
// What a tether_client handle stands for: the engine plus the C-side state
// the API needs around it (translated events, last error text).
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "client/engine.h"
#include "tether/tether.h"

namespace tether::capi {

class ClientHandle {
 public:
  explicit ClientHandle(std::unique_ptr<client::Engine> engine) : engine_(std::move(engine)) {}

  // Every call holds this shared while it runs; destroy() holds it
  // exclusively, so it waits for calls in progress on other threads
  // (pump() and event() included) and frees nothing under them.
  std::shared_mutex& lifetime() { return lifetime_; }
  // True once destroy() ran: a call that found the handle just before then
  // must not touch the engine. Read with lifetime() held.
  bool destroyed() const { return engine_ == nullptr; }
  // Waits for calls in progress, then stops the engine and frees the events.
  void destroy();

  client::Engine& engine() { return *engine_; }
  // At exit (HandleRegistry): the io thread ends; nothing is freed.
  void halt_for_exit() noexcept {
    if (engine_) engine_->halt_for_exit();
  }

  // Pump side: one thread at a time by contract; the mutex turns misuse
  // into serialization instead of a torn vector.
  std::mutex& pump_mutex() { return pump_mutex_; }
  std::vector<tether_event>& events() { return events_; }
  std::string& permissions_text() { return permissions_text_; }

  // Records `text` as the detail of a failed call and returns `result`.
  int32_t fail(int32_t result, std::string_view text) noexcept;
  std::string last_error() const;

 private:
  std::shared_mutex lifetime_;
  std::unique_ptr<client::Engine> engine_;  // null once destroyed

  std::mutex pump_mutex_;
  std::vector<tether_event> events_;  // reused from pump to pump
  std::string permissions_text_;      // AUTH_OK permission lists, joined; reused

  mutable std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace tether::capi
