#include "core/server_session.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/codec_binary.h"

namespace tether::core {

const char* validate(const ServerConfig& c) {
  if (const char* e = validate(c.reliable)) return e;
  if (c.auth_timeout_ms <= 0) return "auth timeout must be > 0";
  if (c.idle_timeout_ms <= 0) return "idle timeout must be > 0";
  if (c.resume_ttl_ms < 0) return "resume ttl must be >= 0";
  if (c.receive_window == 0) return "receive window must be > 0";
  if (const char* e = validate(c.client_limits)) return e;
  return nullptr;
}

void SessionScratch::trim() {
  // One set per endpoint, so it may stay large enough for the batches of a
  // busy server (a client with a window of 1000 sends batches of hundreds;
  // regrowing them each frame showed in tether-bench). Beyond this
  // (~400 KB of messages) a burst's arrays go.
  constexpr size_t kRetainedMessages = 1024;
  decoded.clear();
  ready.clear();
  issues.clear();
  if (decoded.capacity() > kRetainedMessages) std::vector<Message>().swap(decoded);
  if (ready.capacity() > kRetainedMessages) std::vector<Message>().swap(ready);
  if (issues.capacity() > kRetainedMessages) std::vector<DecodeIssue>().swap(issues);
}

ServerSession::ServerSession(const ServerConfig& config, const TokenAuthority& authority,
                             SessionTable& table, SessionScratch& scratch, uint64_t connection_id)
    : config_(config),
      authority_(authority),
      table_(table),
      connection_id_(connection_id),
      scratch_(scratch),
      outbox_(config.limits.max_frame_bytes) {}

void ServerSession::handle_open(TimeMs now) {
  open_ = true;
  auth_deadline_ = now + config_.auth_timeout_ms;
  idle_deadline_ = now + config_.idle_timeout_ms;
}

void ServerSession::handle_text(std::string_view frame, TimeMs now) { handle_frame(frame, FrameKind::Text, now); }

void ServerSession::handle_binary(std::string_view frame, TimeMs now) {
  handle_frame(frame, FrameKind::Binary, now);
}

void ServerSession::handle_frame(std::string_view frame, FrameKind kind, TimeMs now) {
  if (!open_ || closing_) return;
  if (state_ && !owns_state()) return;  // displaced by a resume elsewhere
  idle_deadline_ = now + config_.idle_timeout_ms;
  if (kind == FrameKind::Binary && !(state_ && client_binary_)) {
    // As for any v1 peer (docs/PROTOCOL.md 1): binary only once negotiated.
    ServerEvent event;
    event.kind = ServerEvent::Kind::Error;
    event.code = "unexpected_binary";
    event.reason = state_ ? "binary frame, but the client did not offer binary in its auth"
                          : "binary frame before auth";
    push_event(std::move(event));
    close(close_code::kUnsupportedData, "binary frames are not supported");
    return;
  }
  std::vector<Message>& decoded = scratch_.decoded;
  std::vector<DecodeIssue>& issues = scratch_.issues;
  decoded.clear();
  issues.clear();
  // Frame-level and element-level problems each come back as one issue.
  if (kind == FrameKind::Binary) {
    decode_binary_frame(frame, config_.limits, decoded, issues);
  } else {
    decode_frame(frame, config_.limits, decoded, issues);
  }
  for (const DecodeIssue& issue : issues) send_error(codec_error_name(issue.error), issue.detail);
  for (Message& msg : decoded) {
    handle_message(std::move(msg), now);
    if (closing_) break;
  }
  scratch_.trim();
  if (closing_) return;
  if (state_) queue_ack();
  if (owns_state()) state_->drain_resolutions();
}

void ServerSession::handle_message(Message&& msg, TimeMs now) {
  if (msg.type == MessageType::Ping) {
    Message pong;
    pong.type = MessageType::Pong;
    pong.timestamp = msg.timestamp;
    queue_control(pong);
    // A pinging client is alive even if it has stopped acking.
    if (owns_state()) state_->sender.probe(now);
    return;
  }
  if (!state_) {
    if (msg.type == MessageType::Auth) {
      handle_auth(std::move(msg), now);
    } else {
      // Nothing is routed before auth_success.
      send_error("not_authenticated", "the first message must be auth");
      close(close_code::kProtocolError, "not authenticated");
    }
    return;
  }
  switch (msg.type) {
    case MessageType::Channel: handle_channel(std::move(msg)); break;
    case MessageType::Ack:
      if (state_->sender.handle_ack(msg.up_to, msg.message_id)) state_->sender.restart_backoff(now);
      // At most one a second: each resends up to a window of messages, which
      // a client repeating it in every frame could otherwise multiply.
      if (msg.resend && now >= resend_allowed_at_) {
        resend_allowed_at_ = add_saturating(now, kResendRequestIntervalMs);
        state_->sender.resend_unacked();
      }
      break;
    case MessageType::Subscribe:
    case MessageType::Unsubscribe: handle_subscription(std::move(msg)); break;
    case MessageType::RefreshToken: handle_refresh(std::move(msg), now); break;
    case MessageType::Pong: break;  // we never ping; tolerated
    case MessageType::Error: {
      ServerEvent event;
      event.kind = ServerEvent::Kind::Error;
      event.code = msg.code.empty() ? "peer_error" : msg.code;
      event.reason = std::move(msg.reason);
      push_event(std::move(event));
      break;
    }
    case MessageType::Auth:
      send_error("already_authenticated", "auth after auth_success; use refresh_token");
      break;
    default:
      send_error("unexpected_message", "server-to-client message received from client");
      break;
  }
}

void ServerSession::handle_auth(Message&& msg, TimeMs now) {
  if (claim_) {
    send_error("auth_pending", "an auth on this connection is still being answered");
    return;
  }
  TokenCheck check = authority_.verify(msg.token, unix_now(now));
  if (check.error != TokenError::None) {
    fail_auth(token_error_code(check.error), "token rejected");
    return;
  }
  if (config_.cluster_sessions && !msg.session.empty()) {
    // The cluster knows where this session stands: the answer waits for it
    // (complete_claim), within the auth timeout still running.
    ServerEvent event;
    event.kind = ServerEvent::Kind::ClaimSession;
    event.session_id = msg.session;
    event.user_id = check.claims.subject;
    claim_ = std::make_unique<PendingClaim>(PendingClaim{std::move(msg), std::move(check.claims)});
    push_event(std::move(event));
    return;
  }
  attach(std::move(msg), std::move(check.claims), Attach::Local);
}

void ServerSession::attach(Message&& msg, TokenClaims&& claims, Attach how, const SessionClaim& claim) {
  bool resumed = false;
  if (how == Attach::Recover) {
    recover_session(msg.session, claims, claim.committed);
    resumed = state_ != nullptr;
  } else if (!msg.session.empty()) {
    state_ = table_.take_over(msg.session, claims.subject, connection_id_);
    resumed = state_ != nullptr;
  }
  const bool recovered = resumed && how == Attach::Recover;
  if (!state_) state_ = table_.create(config_.reliable, config_.receive_window, connection_id_);
  state_->claims = std::move(claims);
  state_->permissions = PermissionSet(state_->claims.permissions);
  // Never more unacked messages in flight than the client said it accepts.
  state_->sender.set_peer_window(msg.window);
  if (msg.max_frame != 0) {
    client_max_frame_ = static_cast<size_t>(
        std::min<uint64_t>(msg.max_frame, config_.limits.max_frame_bytes));
    outbox_.writer().set_limits(client_max_frame_, outbox_.writer().max_batch());
  }
  client_binary_ = msg.binary;
  state_->offsets = msg.offsets;
  // A resume replays only what the client has not delivered; a fresh session
  // renumbers anything queued for it (nothing, unless the app queued early).
  // A recovered one numbers afresh: the client's last_seq counted another
  // node's messages.
  const bool keeps_numbering = resumed && !recovered;
  state_->sender.activate(keeps_numbering, keeps_numbering ? msg.last_seq : 0);
  auth_deadline_ = kNever;
  token_expiry_ = state_->claims.expires_at_ms == 0
                      ? kNever
                      : state_->claims.expires_at_ms - config_.wall_clock_offset_ms;

  Message reply;
  reply.type = MessageType::AuthSuccess;
  reply.permissions = state_->claims.permissions;
  reply.session = state_->id;
  reply.resumed = resumed;
  reply.recovered = recovered;
  reply.last_seq = state_->receiver.delivered_up_to();
  reply.expires_at = state_->claims.expires_at_ms;
  reply.user_id = state_->claims.subject;
  reply.window = config_.receive_window;
  // So the client never sends a frame this server would close with 1009.
  reply.max_frame = config_.limits.max_frame_bytes;
  reply.max_batch = static_cast<uint32_t>(std::min<size_t>(config_.limits.max_batch, UINT32_MAX));
  reply.binary = client_binary_;  // this server always takes binary from a client that offers it
  queue_control(reply);

  ServerEvent event;
  event.kind = ServerEvent::Kind::Authenticated;
  event.resumed = resumed;
  event.recovered = recovered;
  if (recovered) event.position = ChannelPosition{claim.direct_epoch, msg.direct_offset};
  event.user_id = state_->claims.subject;
  push_event(std::move(event));
  // The token presented now may grant less than the one the session began with.
  if (resumed && !recovered) recheck_subscriptions();
}

void ServerSession::handle_channel(Message&& msg) {
  if (!msg.require_ack) {
    publish(std::move(msg), false);
    return;
  }
  if (!admit_reliable(msg)) return;  // not acked: the client resends it
  std::vector<Message>& ready = scratch_.ready;
  ready.clear();
  state_->receiver.accept(std::move(msg), ready);
  for (Message& in_order : ready) publish(std::move(in_order), true);
  ready.clear();
}

void ServerSession::publish(Message&& msg, bool reliable) {
  // A refused reliable message still counts as delivered for ordering; the
  // permission_denied reply tells the client it was not accepted, and why.
  if (!admit_publish(msg, reliable)) return;
  ServerEvent event;
  event.kind = ServerEvent::Kind::Publish;
  event.reliable = reliable;
  event.payload = msg.payload;
  event.message_id = msg.id;
  if (reliable && config_.async_commits) event.previous_seq = state_->commits.begin(msg.id);
  event.channel = std::move(msg.channel);
  event.data = std::move(msg.data);
  push_event(std::move(event));
}

void ServerSession::handle_subscription(Message&& msg) {
  const bool subscribe = msg.type == MessageType::Subscribe;
  if (!admit_subscription(msg)) return;
  if (subscribe) {
    state_->subscriptions.insert(msg.channel);
  } else {
    state_->subscriptions.erase(msg.channel);
  }
  // With a distributed broker the confirmation waits until the subscription
  // is in force there (confirm_subscription).
  if (!subscribe || !config_.async_subscriptions) {
    Message reply;
    reply.type = subscribe ? MessageType::Subscribed : MessageType::Unsubscribed;
    reply.channel = msg.channel;
    queue_control(reply);
  }
  ServerEvent event;
  event.kind = subscribe ? ServerEvent::Kind::Subscribed : ServerEvent::Kind::Unsubscribed;
  if (subscribe) {
    event.position.epoch = std::move(msg.epoch);
    event.position.offset = msg.offset;
  }
  event.channel = std::move(msg.channel);
  push_event(std::move(event));
}

void ServerSession::handle_refresh(Message&& msg, TimeMs now) {
  TokenCheck check = authority_.verify(msg.token, unix_now(now));
  Message reply;
  if (check.error != TokenError::None || check.claims.subject != state_->claims.subject) {
    reply.type = MessageType::RefreshFailed;
    reply.code = check.error != TokenError::None ? token_error_code(check.error) : "subject_mismatch";
    reply.reason = "refresh token rejected";
    queue_control(reply);
    return;
  }
  std::string issued = authority_.issue_refreshed(check.claims, unix_now(now));
  if (!issued.empty()) {
    TokenCheck reissued = authority_.verify(issued, unix_now(now));
    if (reissued.error == TokenError::None) check = std::move(reissued);
  } else {
    issued = std::move(msg.token);  // the authority cannot mint: adopt the presented token
  }
  state_->claims = std::move(check.claims);
  state_->permissions = PermissionSet(state_->claims.permissions);
  token_expiry_ = state_->claims.expires_at_ms == 0
                      ? kNever
                      : state_->claims.expires_at_ms - config_.wall_clock_offset_ms;
  reply.type = MessageType::TokenRefresh;
  reply.token = std::move(issued);
  reply.expires_at = state_->claims.expires_at_ms;
  // The permissions now in force, so the client's fail-fast checks follow.
  reply.permissions = state_->claims.permissions;
  reply.has_permissions = true;
  queue_control(reply);
  ServerEvent event;
  event.kind = ServerEvent::Kind::TokenRefreshed;
  event.user_id = state_->claims.subject;
  push_event(std::move(event));
  recheck_subscriptions();
}

void ServerSession::deny(std::string_view channel, std::string_view action, uint64_t message_id) {
  refuse(channel, action, message_id, "permission_denied",
         std::string("no permission to ") + std::string(action) + " on this channel");
}

void ServerSession::fail_auth(const char* code, std::string_view reason) {
  Message reply;
  reply.type = MessageType::AuthFailed;
  reply.code = code;
  reply.reason.assign(reason);
  queue_control(reply);
  ServerEvent event;
  event.kind = ServerEvent::Kind::AuthFailed;
  event.code = code;
  event.reason.assign(reason);
  push_event(std::move(event));
  close(close_code::kAuthFailed, code);
}

void ServerSession::send_error(std::string_view code, std::string_view reason) {
  Message reply;
  reply.type = MessageType::Error;
  reply.code.assign(code);
  reply.reason.assign(reason);
  queue_control(reply);
  ServerEvent event;
  event.kind = ServerEvent::Kind::Error;
  event.code.assign(code);
  event.reason.assign(reason);
  push_event(std::move(event));
}

void ServerSession::close(uint16_t code, std::string_view reason, bool forget) {
  if (closing_) return;
  closing_ = true;
  // The close action is queued after the frames already written, so a
  // runtime that sends frames before acting delivers auth_failed etc. first.
  outbox_.queue_action(TransportAction::Kind::Close, code, reason);
  if (forget && owns_state()) {
    state_->sender.fail_all(SendOutcome::Closed);
    state_->drain_resolutions();
    table_.remove(state_->id);
    state_->owner_connection = 0;
  }
}

void ServerSession::handle_closed(TimeMs now) {
  if (!open_) return;
  open_ = false;
  auth_deadline_ = idle_deadline_ = token_expiry_ = kNever;
  if (owns_state()) {
    state_->sender.deactivate();
    // Out-of-order messages were never acked, so the client resends them
    // after a resume: a parked session need not hold them.
    state_->receiver.restore(state_->receiver.delivered_up_to());
    table_.park(*state_, now, config_.resume_ttl_ms);
  }
}

void ServerSession::handle_timeout(TimeMs now) {
  if (!open_ || closing_) return;
  if (now >= auth_deadline_) {
    Message reply;
    reply.type = MessageType::AuthFailed;
    reply.code = "auth_timeout";
    reply.reason = "no auth message within the auth timeout";
    queue_control(reply);
    close(close_code::kAuthTimeout, "auth timeout");
    return;
  }
  if (now >= idle_deadline_) {
    close(close_code::kHeartbeatTimeout, "idle timeout");
    return;
  }
  if (now >= token_expiry_) {
    close(close_code::kTokenExpired, "token expired");
    return;
  }
  if (owns_state()) {
    state_->sender.handle_timeout(now);
    state_->drain_resolutions();
  }
}

TimeMs ServerSession::next_timeout() const {
  if (!open_ || closing_) return kNever;
  TimeMs next = std::min({auth_deadline_, idle_deadline_, token_expiry_});
  if (owns_state()) next = std::min(next, state_->sender.next_timeout());
  return next;
}

bool ServerSession::poll_transmit(std::string& frame, FrameKind& kind, TimeMs now) {
  if (open_ && !closing_ && owns_state()) {
    // One frame at a time: the transport writes it while the next is encoded.
    TransmitView view;
    while (!outbox_.has_complete_frame() && state_->sender.next_transmit(now, view)) {
      if (view.payload == PayloadKind::Binary && !client_binary_) {
        drop_binary(view);
        continue;
      }
      if (!fits_client(view.channel, view.data.size())) {
        drop_unfit(view);
        continue;
      }
      outbox_.queue_channel(view);
    }
  }
  if (outbox_.pop_frame(frame, kind)) {
    // A frame after a second or more without one: this connection is quiet
    // (an idle client's pong every 15 s), so its buffers are freed below
    // once its frames are out, and an idle connection holds none.
    constexpr TimeMs kBusyWithinMs = 1000;
    if (now - last_frame_at_ >= kBusyWithinMs) release_when_drained_ = true;
    last_frame_at_ = now;
    return true;
  }
  if (std::exchange(release_when_drained_, false)) {
    outbox_.release_buffers();
    events_.release();
  }
  return false;
}

void ServerSession::drop_binary(const TransmitView& view) {
  // Binary payloads are never re-encoded as text. Resolved (reliable) or
  // discarded here, every binary message queued for this client goes, and
  // one error tells it how many and where the first was bound.
  const std::string channel(view.channel);
  size_t dropped = view.seq == 0 ? 1 : 0;  // an unreliable one has left the sender already
  state_->sender.discard_if(
      [&dropped](std::string_view, std::string_view, PayloadKind payload) {
        const bool binary = payload == PayloadKind::Binary;
        dropped += binary;
        return binary;
      },
      SendOutcome::Unsupported);
  state_->drain_resolutions();
  send_error("binary_unsupported", std::to_string(dropped) + " binary message(s) not delivered, the first on channel '" +
                                       channel + "': this connection did not offer binary in its auth");
}

bool ServerSession::fits_client(std::string_view channel, size_t data_bytes) const {
  // A client that tracks positions gets offset and direct too.
  return client_max_frame_ == 0 || channel_message_bound(channel, data_bytes, state_->offsets) <= client_max_frame_;
}

void ServerSession::drop_unfit(const TransmitView& view) {
  ServerEvent event;
  event.kind = ServerEvent::Kind::Error;
  event.code = "too_large_for_client";
  event.channel.assign(view.channel);
  event.reliable = view.seq != 0;
  const size_t payload_bytes = view.data.size();
  size_t dropped = 1;
  if (event.reliable) {
    // Resolved as TooLarge, so later messages carry a higher `base` and the
    // client stops waiting for it. Anything else queued that cannot fit goes too.
    dropped = 0;
    state_->sender.discard_if(
        [this, &dropped](std::string_view channel, std::string_view data, PayloadKind) {
          const bool unfit = !fits_client(channel, data.size());
          dropped += unfit;
          return unfit;
        },
        SendOutcome::TooLarge);
    state_->drain_resolutions();
  }
  event.reason = std::to_string(dropped) + " message(s) dropped, the first on channel '" + event.channel +
                 "' with " + std::to_string(payload_bytes) + " payload bytes: larger than the " +
                 std::to_string(client_max_frame_) + "-byte frames the client accepts";
  push_event(std::move(event));
}

bool ServerSession::poll_action(TransportAction& action) { return outbox_.poll_action(action); }

bool ServerSession::poll_event(ServerEvent& event) {
  return events_.poll(event);
}

void ServerSession::queue_control(const Message& msg) { outbox_.queue_control(msg); }

// A receiver acks only what it delivered (docs/PROTOCOL.md 6.2); with an
// asynchronous broker, "delivered" means committed, so a client whose node
// dies before the commit resends the message rather than lose it.
void ServerSession::queue_ack(bool commits_moved) {
  ReliableReceiver& receiver = state_->receiver;
  const uint64_t up_to = state_->commits.ack_limit(receiver.delivered_up_to());
  if (!receiver.ack_due() && !(commits_moved && up_to > acked_up_to_)) return;
  receiver.clear_ack_due();
  // Progress, or a duplicate (the client may have lost our last ack). A
  // frame whose messages all wait for commits gets no ack yet.
  const bool duplicate = receiver.duplicates() != duplicates_at_ack_;
  if (up_to == 0 || (up_to <= acked_up_to_ && !duplicate)) return;
  Message ack;
  ack.type = MessageType::Ack;
  ack.up_to = up_to;
  queue_control(ack);
  acked_up_to_ = up_to;
  duplicates_at_ack_ = receiver.duplicates();
}

void ServerSession::notify(const Notice& notice) {
  if (!owns_state() || closing_) return;
  Message message;
  message.type = MessageType::Error;
  message.code.assign(notice.code);
  message.reason.assign(notice.reason);
  message.channel.assign(notice.channel);
  if (state_->offsets) message.epoch.assign(notice.epoch);
  queue_control(message);
}

void ServerSession::confirm_subscription(const std::string& channel, const ChannelPosition& start) {
  if (!owns_state() || closing_ || state_->subscriptions.count(channel) == 0) return;
  Message reply;
  reply.type = MessageType::Subscribed;
  reply.channel = channel;
  if (state_->offsets) {
    reply.epoch = start.epoch;
    reply.offset = start.offset;
  }
  queue_control(reply);
}

void ServerSession::commits_changed() {
  if (owns_state() && !closing_) queue_ack(true);
}

}  // namespace tether::core
