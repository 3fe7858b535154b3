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
  spare_.push_back(std::move(done_.front()));
  done_.pop_front();
  if (spare_.size() > 4) spare_.pop_front();
  return true;
}

}  // namespace tether::core
