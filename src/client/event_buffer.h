#pragma once
// One side of the engine's double-buffered event queue. Slots are reused from
// pump to pump, so a steady stream of events stops allocating once the
// buffers have grown to the working size.
#include <cstddef>
#include <vector>

#include "client/engine_types.h"

namespace tether::client {

class EventBuffer {
 public:
  EngineEvent& append() {
    if (count_ == slots_.size()) slots_.emplace_back();
    return slots_[count_++];
  }
  void clear() { count_ = 0; }
  size_t size() const { return count_; }
  const EngineEvent& operator[](size_t index) const { return slots_[index]; }

 private:
  std::vector<EngineEvent> slots_;
  size_t count_ = 0;
};

}  // namespace tether::client
