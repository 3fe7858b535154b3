#include "core/frame_writer.h"

#include <algorithm>
#include <utility>

namespace tether::core {

void FrameWriter::commit_message() {
  const bool text = scratch_kind_ == FrameKind::Text;
  // Text: two bytes for the brackets of a batch, one for the separating
  // comma. Binary records just follow each other.
  const size_t framing = text ? 3 : 0;
  if (open_count_ > 0 && (open_count_ >= max_batch_ || open_kind_ != scratch_kind_ ||
                          open_frame_.size() + scratch_.size() + framing >
                              std::min(max_frame_bytes_, kTargetFrameBytes))) {
    close_open_frame();
  }
  if (open_count_ == 0) {
    open_frame_.assign(scratch_);
    open_kind_ = scratch_kind_;
  } else if (!text) {
    open_frame_.append(scratch_);
  } else {
    if (open_count_ == 1) open_frame_.insert(open_frame_.begin(), '[');
    open_frame_.push_back(',');
    open_frame_.append(scratch_);
  }
  ++open_count_;
}

void FrameWriter::close_open_frame() {
  if (open_count_ == 0) return;
  if (open_count_ > 1 && open_kind_ == FrameKind::Text) open_frame_.push_back(']');
  std::string next;
  if (!spare_.empty()) {
    next.swap(spare_.back());
    spare_.pop_back();
    next.clear();
  }
  done_.push_back({std::move(open_frame_), open_kind_});
  open_frame_.swap(next);
  open_count_ = 0;
}

bool FrameWriter::pop_frame(std::string& out, FrameKind& kind) {
  if (done_.empty()) close_open_frame();
  if (done_.empty()) return false;
  // Hand out the frame and keep the caller's old buffer for reuse.
  std::string& frame = done_.front().bytes;
  kind = done_.front().kind;
  out.swap(frame);
  frame.clear();
  // Recycle small buffers only: an idle connection must not keep a resend
  // burst's megabyte frames. Large ones are freed here.
  if (frame.capacity() <= kRecycledBufferBytes) spare_.push_back(std::move(frame));
  done_.pop_front();
  if (spare_.size() > kRecycledBuffers) spare_.pop_front();
  if (scratch_.capacity() > kRecycledBufferBytes) std::string().swap(scratch_);
  return true;
}

void FrameWriter::release_buffers() {
  if (has_pending()) return;
  std::string().swap(scratch_);
  std::string().swap(open_frame_);
  spare_.clear();
  spare_.release();
  done_.release();
}

namespace {
// A string's own heap block; short strings live inside the object (SSO).
size_t heap_bytes(const std::string& s) {
  static const size_t inline_capacity = std::string().capacity();
  return s.capacity() > inline_capacity ? s.capacity() : 0;
}
}  // namespace

size_t FrameWriter::retained_bytes() const {
  size_t bytes = heap_bytes(scratch_) + heap_bytes(open_frame_);
  for (const DoneFrame& frame : done_) bytes += heap_bytes(frame.bytes);
  for (const std::string& buffer : spare_) bytes += heap_bytes(buffer);
  return bytes;
}

}  // namespace tether::core
