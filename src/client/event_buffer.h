#pragma once
// One side of the engine's double-buffered event queue. Slots are reused from
// pump to pump, so a steady stream of events stops allocating once the
// buffers have grown to the working size. A backlog (a host that stopped
// pumping) grows them far beyond that; EventBufferTrimmer says when to give
// that memory back once the backlog has drained.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "client/engine_types.h"

namespace tether::client {

class EventBuffer {
 public:
  // A slot to fill; then report what it holds with add_bytes().
  EngineEvent& append() {
    if (count_ == slots_.size()) slots_.emplace_back();
    return slots_[count_++];
  }
  void add_bytes(size_t bytes) { bytes_ += bytes; }
  // Forgets the events. Their slots keep their text buffers for reuse.
  void clear() {
    retained_bytes_ = std::max(retained_bytes_, bytes_);
    count_ = 0;
    bytes_ = 0;
  }
  size_t size() const { return count_; }
  size_t bytes() const { return bytes_; }  // event_bytes() of the events held
  size_t slots() const { return slots_.size(); }
  // Roughly the text the slots may still hold: the largest fill since the
  // last release() (a slot keeps its old heap buffer when a short string is
  // copied into it).
  size_t retained_bytes() const { return std::max(retained_bytes_, bytes_); }
  const EngineEvent& operator[](size_t index) const { return slots_[index]; }

  // Forgets the events and frees their memory: slots beyond `keep_slots`,
  // and the text every kept slot still holds. Allocates (the smaller slot
  // array): only for after a backlog, never in steady state.
  void release(size_t keep_slots) {
    count_ = 0;
    bytes_ = 0;
    retained_bytes_ = 0;
    std::vector<EngineEvent> kept(std::min(keep_slots, slots_.size()));
    slots_.swap(kept);
  }

 private:
  std::vector<EngineEvent> slots_;
  size_t count_ = 0;
  size_t bytes_ = 0;
  size_t retained_bytes_ = 0;
};

// Watches what pumps hand the host and decides when a buffer holds far more
// than recent pumps needed. "Recent" is the busiest pump of the current and
// the previous window of kWindowPumps pumps, so steady traffic (however
// large) never triggers a release, and neither does one quiet frame.
class EventBufferTrimmer {
 public:
  static constexpr size_t kWindowPumps = 64;
  // Kept whatever recent pumps needed. A slot is about 400 bytes (plus the
  // C API's copy), and a client has two buffers: 64 slots keep an idle
  // client small while a frame's usual events never allocate. (256 let each
  // of the soak's 200 clients creep towards 200 KB as resume bursts hit it.)
  static constexpr size_t kMinKeptSlots = 64;
  static constexpr size_t kMinKeptBytes = size_t{256} << 10;
  static constexpr size_t kSlack = 4;  // release when over kSlack x recent need

  // Every pump: the events and bytes it made readable.
  void observe(size_t events, size_t bytes) {
    current_events_ = std::max(current_events_, events);
    current_bytes_ = std::max(current_bytes_, bytes);
    if (++pumps_ == kWindowPumps) {
      previous_events_ = current_events_;
      previous_bytes_ = current_bytes_;
      current_events_ = current_bytes_ = 0;
      pumps_ = 0;
    }
    // A backlog: watch until both buffers have been checked after it drained.
    if (events > kMinKeptSlots || bytes > kMinKeptBytes) watch_pumps_ = 2 * kWindowPumps + 4;
    if (watch_pumps_ > 0) --watch_pumps_;
  }
  // True for a while after a backlog; pump() must then visit both buffers
  // (swap even when idle) so each can be checked.
  bool watching() const { return watch_pumps_ > 0; }

  bool wants_release(const EventBuffer& buffer) const {
    const size_t events = std::max(previous_events_, current_events_);
    const size_t bytes = std::max(previous_bytes_, current_bytes_);
    return buffer.slots() > std::max(kMinKeptSlots, kSlack * events) ||
           buffer.retained_bytes() > std::max(kMinKeptBytes, kSlack * bytes);
  }
  size_t keep_slots() const { return std::max(kMinKeptSlots, 2 * std::max(previous_events_, current_events_)); }

 private:
  size_t pumps_ = 0;
  size_t current_events_ = 0;
  size_t current_bytes_ = 0;
  size_t previous_events_ = 0;
  size_t previous_bytes_ = 0;
  size_t watch_pumps_ = 0;
};

}  // namespace tether::client
