#pragma once
// Batching: messages produced in one turn share WebSocket frames. One message
// goes out as a bare JSON object; several as a JSON array, split so that no
// frame exceeds the size limit.
#include <cstddef>
#include <deque>
#include <string>

namespace tether::core {

class FrameWriter {
 public:
  explicit FrameWriter(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Encode one message into this buffer (it is cleared for you), then commit().
  std::string& begin_message() {
    scratch_.clear();
    return scratch_;
  }
  void commit_message();

  // Takes the next complete frame. Returns false when nothing is pending.
  bool pop_frame(std::string& out);
  bool has_pending() const { return !done_.empty() || open_count_ > 0; }

 private:
  void close_open_frame();

  size_t max_frame_bytes_;
  std::string scratch_;
  std::string open_frame_;     // frame being filled
  size_t open_count_ = 0;      // messages in open_frame_
  std::deque<std::string> done_;
  std::deque<std::string> spare_;  // recycled buffers, so steady state does not allocate
};

}  // namespace tether::core
