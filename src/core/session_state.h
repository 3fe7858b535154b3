#pragma once
// What the server remembers about one client session, independent of any
// transport connection: identity, permissions, subscriptions and both halves
// of reliable delivery. It survives disconnects (parked in the SessionTable)
// so a client can resume without loss.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/broker.h"
#include "core/commit_tracker.h"
#include "core/jwt.h"
#include "core/permissions.h"
#include "core/reliable_receiver.h"
#include "core/reliable_sender.h"
#include "core/time.h"

namespace tether::core {

struct SessionState {
  SessionState(std::string session_id, const ReliableConfig& reliable, uint32_t receive_window)
      : id(std::move(session_id)), sender(reliable), receiver(receive_window) {}

  // Queues an application message for this client (fan-out or a direct
  // reply), whether it is connected or parked. Returns false when the
  // client's buffer is full: a slow consumer.
  bool enqueue(std::string_view channel, std::string_view data, bool reliable, int64_t timestamp,
               PayloadKind payload = PayloadKind::Json) {
    return enqueue(Delivery{channel, data, reliable, payload}, timestamp);
  }
  // The same from a broker: its offset and direct mark go only to a client
  // that tracks positions (`offsets`).
  bool enqueue(const Delivery& d, int64_t timestamp) {
    const uint64_t message_id = d.reliable ? next_message_id++ : 0;
    return sender.enqueue(message_id, d.channel, d.data, d.reliable, timestamp, d.payload, offsets ? d.offset : 0,
                          offsets && d.direct) == ReliableSender::EnqueueResult::Ok;
  }

  const std::string id;
  TokenClaims claims;
  PermissionSet permissions;
  ReliableSender sender;
  ReliableReceiver receiver;
  // Reliable publishes an asynchronous broker has not made durable yet; the
  // client's ack stops below the oldest (ServerSession::queue_ack).
  CommitTracker commits;
  std::set<std::string> subscriptions;
  // The client offered "offsets" in its latest auth: its channel messages
  // carry their stream offsets (docs/PROTOCOL.md 11.1).
  bool offsets = false;
  uint64_t owner_connection = 0;  // the attached connection, 0 while parked
  TimeMs parked_until = kNever;   // when a parked session is forgotten
  uint64_t next_message_id = 1;
  uint64_t delivered = 0;  // reliable messages the client acked
  uint64_t failed = 0;     // reliable messages that resolved otherwise
  // Out-of-order reliable messages from the client not accepted (so not
  // acked; it resends them) because the receive buffer was at its byte bound.
  uint64_t receive_buffer_refusals = 0;

  // Folds the sender's resolutions into the counters above.
  void drain_resolutions() {
    SendResolution resolution;
    while (sender.poll_resolution(resolution)) {
      ++(resolution.outcome == SendOutcome::Acked ? delivered : failed);
    }
  }
};

}  // namespace tether::core
