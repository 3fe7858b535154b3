#pragma once
// Batching: messages produced in one turn share WebSocket frames. In a text
// frame one message goes out as a bare JSON object, several as a JSON array;
// binary channel messages (codec_binary.h) share binary frames, records back
// to back. Frames are split so that none exceeds the byte limit or holds more
// than the element limit (both the peer's: a batch over either is refused
// whole). A single message larger than the byte limit still goes out, alone;
// callers check sizes before queueing. Messages keep their order: a message
// of the other kind closes the open frame.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/ring_queue.h"

namespace tether::core {

// The WebSocket opcode a frame goes out with.
enum class FrameKind : uint8_t { Text, Binary };

class FrameWriter {
 public:
  // The protocol's batch limit (docs/PROTOCOL.md section 2).
  static constexpr size_t kProtocolMaxBatch = 4096;
  // A batch closes once it would grow past this, even where the peer takes
  // more: the peer starts on one frame while the next is written, instead of
  // waiting for a whole window of messages in one piece (a stop-and-wait
  // that halved pipelined throughput). A single larger message still goes
  // out alone, up to the byte limit.
  static constexpr size_t kTargetFrameBytes = 16 * 1024;

  explicit FrameWriter(size_t max_frame_bytes, size_t max_batch = kProtocolMaxBatch)
      : max_frame_bytes_(max_frame_bytes), max_batch_(max_batch == 0 ? 1 : max_batch) {}

  // New limits (the peer advertised or revealed its own); they apply from
  // the next committed message on.
  void set_limits(size_t max_frame_bytes, size_t max_batch) {
    max_frame_bytes_ = max_frame_bytes;
    max_batch_ = max_batch == 0 ? 1 : max_batch;
  }
  size_t max_frame_bytes() const { return max_frame_bytes_; }
  size_t max_batch() const { return max_batch_; }

  // Encode one message into this buffer (it is cleared for you), then commit().
  // `kind` is the frame it belongs in: a JSON object, or a binary record.
  std::string& begin_message(FrameKind kind = FrameKind::Text) {
    scratch_.clear();
    scratch_kind_ = kind;
    return scratch_;
  }
  void commit_message();

  // Takes the next complete frame and its kind. Returns false when nothing is pending.
  bool pop_frame(std::string& out, FrameKind& kind);
  bool has_pending() const { return !done_.empty() || open_count_ > 0; }
  // A frame is closed and ready: a caller streaming messages in can stop
  // and hand it to the transport before encoding more.
  bool has_complete_frame() const { return !done_.empty(); }
  // Heap bytes the writer holds (buffer capacities), pending frames included.
  size_t retained_bytes() const;
  // With nothing pending, frees the buffers kept for reuse, so a quiet
  // connection holds none; no-op otherwise.
  void release_buffers();

 private:
  // Buffers kept for reuse, so that steady traffic allocates nothing: at
  // most this many, each at most this large.
  static constexpr size_t kRecycledBuffers = 4;
  static constexpr size_t kRecycledBufferBytes = 16 * 1024;

  struct DoneFrame {
    std::string bytes;
    FrameKind kind = FrameKind::Text;
  };

  void close_open_frame();

  size_t max_frame_bytes_;
  size_t max_batch_;
  std::string scratch_;
  FrameKind scratch_kind_ = FrameKind::Text;
  std::string open_frame_;     // frame being filled
  FrameKind open_kind_ = FrameKind::Text;
  size_t open_count_ = 0;      // messages in open_frame_
  RingQueue<DoneFrame> done_;
  RingQueue<std::string> spare_;  // recycled buffers (see kRecycledBuffers)
};

}  // namespace tether::core
