#pragma once
// What a session (ClientSession or ServerSession) has for its transport:
// messages batched into frames by a FrameWriter, and transport actions, each
// in the order queued. Both ends encode control messages, channel messages
// from their ReliableSender and the cumulative acks their ReliableReceiver
// owes the same way; this is that one way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/codec.h"
#include "core/codec_binary.h"
#include "core/frame_writer.h"
#include "core/message.h"
#include "core/reliable_receiver.h"
#include "core/reliable_sender.h"

namespace tether::core {

// A queue its owner fills and a runtime drains with poll(); what was
// drained is cleared only once all of it was, so a steady state reuses the
// same storage and queueing allocates nothing. A queue one of thousands of
// server sessions owns gives a burst's storage back once drained (a batch of
// 4096 publishes is 4096 events): `retained_capacity` is what it keeps.
template <typename T>
class PolledQueue {
 public:
  explicit PolledQueue(size_t retained_capacity = SIZE_MAX) : retained_capacity_(retained_capacity) {}

  void push(T&& item) { items_.push_back(std::move(item)); }
  bool poll(T& out) {
    if (read_ == items_.size()) {
      items_.clear();
      if (items_.capacity() > retained_capacity_) std::vector<T>().swap(items_);
      read_ = 0;
      return false;
    }
    out = std::move(items_[read_++]);
    return true;
  }
  bool empty() const { return read_ == items_.size(); }
  size_t size() const { return items_.size() - read_; }
  // Gives the storage back if everything was polled.
  void release() {
    if (!empty()) return;
    std::vector<T>().swap(items_);
    read_ = 0;
  }

 private:
  std::vector<T> items_;
  size_t read_ = 0;
  size_t retained_capacity_;
};

struct TransportAction {
  enum class Kind : uint8_t { Connect, Close };
  Kind kind = Kind::Connect;
  uint16_t code = 0;
  std::string reason;
};

class SessionOutbox {
 public:
  explicit SessionOutbox(size_t max_frame_bytes, size_t max_batch = FrameWriter::kProtocolMaxBatch)
      : writer_(max_frame_bytes, max_batch) {}

  FrameWriter& writer() { return writer_; }
  const FrameWriter& writer() const { return writer_; }

  void queue_control(const Message& msg) {
    encode_message(msg, writer_.begin_message());
    writer_.commit_message();
  }
  // A binary payload goes out as a binary record: only to a peer that
  // negotiated binary frames (the session checks before it gets here).
  void queue_channel(const TransmitView& view) {
    if (view.payload == PayloadKind::Binary) {
      encode_binary_channel_message(view.channel, view.data, view.timestamp, view.seq, view.base,
                                    writer_.begin_message(FrameKind::Binary), view.offset, view.direct);
    } else {
      encode_channel_message(view.channel, view.data, view.timestamp, view.seq, view.base,
                             writer_.begin_message(FrameKind::Text), view.offset, view.direct);
    }
    writer_.commit_message();
  }
  // The cumulative ack `receiver` owes, if it owes one.
  void queue_ack_if_due(ReliableReceiver& receiver) {
    if (!receiver.ack_due()) return;
    Message ack;
    ack.type = MessageType::Ack;
    ack.up_to = receiver.delivered_up_to();
    queue_control(ack);
    receiver.clear_ack_due();
  }
  bool pop_frame(std::string& frame, FrameKind& kind) { return writer_.pop_frame(frame, kind); }
  bool has_complete_frame() const { return writer_.has_complete_frame(); }
  // Frames not yet handed to the transport belong to a connection that is gone.
  void discard_frames() {
    std::string discarded;
    FrameKind kind;
    while (writer_.pop_frame(discarded, kind)) {
    }
  }

  void queue_action(TransportAction::Kind kind, uint16_t code = 0, std::string_view reason = {}) {
    actions_.push({kind, code, std::string(reason)});
  }
  bool poll_action(TransportAction& action) { return actions_.poll(action); }
  // With nothing pending, frees every buffer kept for reuse (see
  // ServerSession::poll_transmit).
  void release_buffers() {
    writer_.release_buffers();
    actions_.release();
  }

 private:
  FrameWriter writer_;
  PolledQueue<TransportAction> actions_;
};

}  // namespace tether::core
