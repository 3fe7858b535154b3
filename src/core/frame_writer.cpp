#include "core/frame_writer.h"

#include <utility>

namespace tether::core {

void FrameWriter::commit_message() {
  // Two bytes for the brackets of a batch, one for the separating comma.
  if (open_count_ > 0 && (open_count_ >= max_batch_ ||
                          open_frame_.size() + scratch_.size() + 3 > max_frame_bytes_)) {
    close_open_frame();
  }
  if (open_count_ == 0) {
    open_frame_.assign(scratch_);
  } else {
    if (open_count_ == 1) open_frame_.insert(open_frame_.begin(), '[');
    open_frame_.push_back(',');
    open_frame_.append(scratch_);
  }
  ++open_count_;
}

void FrameWriter::close_open_frame() {
  if (open_count_ == 0) return;
  if (open_count_ > 1) open_frame_.push_back(']');
  std::string next;
  if (!spare_.empty()) {
    next.swap(spare_.back());
    spare_.pop_back();
    next.clear();
  }
  done_.push_back(std::move(open_frame_));
  open_frame_.swap(next);
  open_count_ = 0;
}

bool FrameWriter::pop_frame(std::string& out) {
  if (done_.empty()) close_open_frame();
  if (done_.empty()) return false;
  // Hand out the frame and keep the caller's old buffer for reuse.
  out.swap(done_.front());
  done_.front().clear();
  // Recycle small buffers only: an idle connection must not keep a resend
  // burst's megabyte frames. Large ones are freed here.
  if (done_.front().capacity() <= kRecycledBufferBytes) spare_.push_back(std::move(done_.front()));
  done_.pop_front();
  if (spare_.size() > kRecycledBuffers) spare_.pop_front();
  if (scratch_.capacity() > kRecycledBufferBytes) std::string().swap(scratch_);
  return true;
}

size_t FrameWriter::retained_bytes() const {
  size_t bytes = scratch_.capacity() + open_frame_.capacity();
  for (const std::string& frame : done_) bytes += frame.capacity();
  for (const std::string& buffer : spare_) bytes += buffer.capacity();
  return bytes;
}

}  // namespace tether::core
