// ServerSession: the per-client bounds of server_limits.h. One client must
// not be able to make the server hold without bound, nor knock others off,
// and each refusal is an explicit reply, never a silent drop:
//
// - out-of-order reliable messages beyond the receive buffer's byte bound
//   are not accepted and not acked, so the client resends them;
// - a publish on an invalid channel, or one whose fan-out would not fit in a
//   frame, is refused with permission_denied (code invalid_channel or
//   too_large; a reliable one names its sequence and resolves once);
// - a subscribe on an invalid channel, or beyond max_subscriptions, is
//   refused with permission_denied (code invalid_channel or
//   too_many_subscriptions);
// - when a token refresh or a resume brings permissions that no longer allow
//   a subscription, the server drops it with unsubscribed, code
//   permission_revoked, and what it still held to deliver on that channel.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/server_session.h"

namespace tether::core {

bool ServerSession::admit_reliable(Message& msg) {
  const ReliableReceiver& receiver = state_->receiver;
  if (!receiver.would_buffer(msg)) return true;  // delivered, a duplicate, or out of window
  const size_t bytes = msg.channel.size() + msg.data.size() + kHeldMessageOverhead;
  if (held_bytes(receiver) + bytes > config_.client_limits.max_receive_buffer_bytes) {
    ++state_->receive_buffer_refusals;
    return false;
  }
  // Held for a while: no decoding slack beyond what is accounted.
  msg.data.shrink_to_fit();
  return true;
}

bool ServerSession::admit_publish(const Message& msg, bool reliable) {
  const char* action = channel_action_name(ChannelAction::Publish);
  const uint64_t message_id = reliable ? msg.id : 0;
  if (!is_valid_channel(msg.channel)) {
    refuse({}, action, message_id, refusal::kInvalidChannel,
           "a channel is 1 to " + std::to_string(kMaxChannelBytes) + " bytes of UTF-8 without NUL");
    return false;
  }
  if (!state_->permissions.allows(ChannelAction::Publish, msg.channel)) {
    deny(msg.channel, action, message_id);
    return false;
  }
  // Subscribers get it with a timestamp (and a sequence) added: refused here
  // rather than closing every subscriber with 1009.
  if (!fits_fan_out(msg.channel, msg.data.size(), config_.limits.max_frame_bytes)) {
    refuse(msg.channel, action, message_id, refusal::kTooLarge,
           std::to_string(msg.data.size()) + " payload bytes do not fit in a " +
               std::to_string(config_.limits.max_frame_bytes) + "-byte frame with the delivery envelope");
    return false;
  }
  return true;
}

bool ServerSession::admit_subscription(const Message& msg) {
  const bool subscribe = msg.type == MessageType::Subscribe;
  if (!is_valid_channel(msg.channel)) {
    const std::string why = "a channel is 1 to " + std::to_string(kMaxChannelBytes) + " bytes of UTF-8 without NUL";
    if (subscribe) {
      refuse({}, channel_action_name(ChannelAction::Subscribe), 0, refusal::kInvalidChannel, why);
    } else {
      send_error(refusal::kInvalidChannel, why);
    }
    return false;
  }
  if (!subscribe) return true;
  if (!state_->permissions.allows(ChannelAction::Subscribe, msg.channel)) {
    deny(msg.channel, channel_action_name(ChannelAction::Subscribe), 0);
    return false;
  }
  const size_t cap = config_.client_limits.max_subscriptions;
  if (state_->subscriptions.size() >= cap && state_->subscriptions.count(msg.channel) == 0) {
    refuse(msg.channel, channel_action_name(ChannelAction::Subscribe), 0, refusal::kTooManySubscriptions,
           "a session may subscribe to at most " + std::to_string(cap) + " channels");
    return false;
  }
  return true;
}

void ServerSession::recheck_subscriptions() {
  std::vector<std::string> revoked;
  for (auto it = state_->subscriptions.begin(); it != state_->subscriptions.end();) {
    if (state_->permissions.allows(ChannelAction::Subscribe, *it)) {
      ++it;
      continue;
    }
    revoked.push_back(*it);
    it = state_->subscriptions.erase(it);
  }
  if (revoked.empty()) return;
  // Nothing more on those channels: not what was queued, nor what is unacked
  // (later messages carry a higher base, so the client stops waiting for it).
  state_->sender.discard_if(
      [&revoked](std::string_view channel, std::string_view, PayloadKind) {
        // `revoked` is sorted: it came out of a std::set in order.
        return std::binary_search(revoked.begin(), revoked.end(), channel,
                                  [](std::string_view a, std::string_view b) { return a < b; });
      },
      SendOutcome::PermissionDenied);
  state_->drain_resolutions();
  for (std::string& channel : revoked) {
    Message reply;
    reply.type = MessageType::Unsubscribed;
    reply.channel = channel;
    reply.code = refusal::kPermissionRevoked;
    reply.reason = "the session's permissions no longer allow subscribe on this channel";
    queue_control(reply);
    ServerEvent event;
    event.kind = ServerEvent::Kind::Unsubscribed;
    event.channel = std::move(channel);
    event.code = refusal::kPermissionRevoked;
    push_event(std::move(event));
  }
}

void ServerSession::refuse(std::string_view channel, std::string_view action, uint64_t message_id,
                           std::string_view code, std::string reason) {
  Message reply;
  reply.type = MessageType::PermissionDenied;
  reply.channel.assign(channel);
  reply.action.assign(action);
  reply.message_id = message_id;
  reply.code.assign(code);
  reply.reason = std::move(reason);
  queue_control(reply);
}

}  // namespace tether::core
