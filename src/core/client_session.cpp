#include "core/client_session.h"

#include <algorithm>
#include <string>
#include <utility>

#include "core/codec_binary.h"
#include "core/jwt.h"

namespace tether::core {

const char* validate(const ClientConfig& c) {
  if (const char* e = validate(c.backoff)) return e;
  if (const char* e = validate(c.heartbeat)) return e;
  if (const char* e = validate(c.reliable)) return e;
  if (c.connect_timeout_ms <= 0) return "connect timeout must be > 0";
  if (c.connect_timeout_ms > kMaxDurationMs) return "connect timeout must be <= 604800000 ms (7 days)";
  if (c.auth_timeout_ms <= 0) return "auth timeout must be > 0";
  if (c.auth_timeout_ms > kMaxDurationMs) return "auth timeout must be <= 604800000 ms (7 days)";
  if (c.refresh_lead_ms < 0) return "token refresh lead time must be >= 0";
  if (c.refresh_lead_ms > kMaxDurationMs) return "token refresh lead time must be <= 604800000 ms (7 days)";
  if (c.refresh_timeout_ms <= 0) return "token refresh timeout must be > 0";
  if (c.refresh_timeout_ms > kMaxDurationMs) return "token refresh timeout must be <= 604800000 ms (7 days)";
  if (c.receive_window == 0) return "receive window must be > 0";
  if (c.ack_delay_ms < 0) return "ack delay must be >= 0";
  if (c.ack_delay_ms > kMaxAckDelayMs) return "ack delay must be <= 1000 ms";
  if (c.limits.max_frame_bytes < 1024) return "max message size must be >= 1024 bytes";
  if (c.limits.max_batch == 0) return "max batch length must be > 0";
  // It goes out inside a JSON text frame, which must be UTF-8.
  if (!is_valid_utf8(c.token)) return "token is not valid UTF-8";
  return nullptr;
}

const char* client_state_name(ClientState s) {
  switch (s) {
    case ClientState::Idle: return "idle";
    case ClientState::Connecting: return "connecting";
    case ClientState::Authenticating: return "authenticating";
    case ClientState::Ready: return "ready";
    case ClientState::Backoff: return "backoff";
    case ClientState::Closed: return "closed";
    case ClientState::GaveUp: return "gave_up";
    case ClientState::Unauthorized: return "unauthorized";
  }
  return "unknown";
}

const char* send_status_name(SendStatus s) {
  switch (s) {
    case SendStatus::Ok: return "ok";
    case SendStatus::QueueFull: return "queue_full";
    case SendStatus::PermissionDenied: return "permission_denied";
    case SendStatus::InvalidPayload: return "invalid_payload";
    case SendStatus::TooLarge: return "too_large";
    case SendStatus::InvalidChannel: return "invalid_channel";
    case SendStatus::WrongState: return "wrong_state";
    case SendStatus::Unsupported: return "unsupported";
  }
  return "unknown";
}

ClientSession::ClientSession(ClientConfig config, uint64_t rng_seed)
    : config_(std::move(config)),
      backoff_(config_.backoff, rng_seed),
      heartbeat_(config_.heartbeat),
      sender_(config_.reliable),
      receiver_(config_.receive_window),
      outbox_(config_.limits.max_frame_bytes, config_.limits.max_batch) {
  const TokenCheck claims = read_claims_unverified(config_.token);
  if (claims.error == TokenError::None) token_expires_at_ = claims.claims.expires_at_ms;
}

// ---- commands ---------------------------------------------------------

void ClientSession::connect(TimeMs now) {
  now_ = now;
  switch (state_) {
    case ClientState::Idle:
    case ClientState::Closed:
    case ClientState::GaveUp:
    case ClientState::Unauthorized:
      backoff_.reset();
      begin_connect(now);
      break;
    default:
      break;
  }
}

void ClientSession::begin_connect(TimeMs now) {
  reconnect_at_ = kNever;
  connect_deadline_ = add_saturating(now, config_.connect_timeout_ms);
  outbox_.queue_action(TransportAction::Kind::Connect);
  set_state(ClientState::Connecting);
}

void ClientSession::close(TimeMs now, uint16_t code, std::string_view reason) {
  now_ = now;
  if (state_ == ClientState::Closed) return;
  if (state_ == ClientState::Connecting || state_ == ClientState::Authenticating ||
      state_ == ClientState::Ready) {
    close_transport(code, reason);
  }
  stop_connection_timers();
  reconnect_at_ = kNever;
  sender_.deactivate();
  sender_.fail_all(SendOutcome::Closed);
  drain_resolutions();
  // connect() after close() starts a new session: presenting the old id
  // would resume it and deliver what was queued for it while closed.
  session_id_.clear();
  receiver_.reset();
  deferred_up_to_ = 0;
  acked_up_to_ = 0;
  duplicates_at_ack_ = receiver_.duplicates();
  offline_subscription_ops_.clear();  // a fresh session is sent every wanted channel
  subscriptions_.forget_positions();
  last_close_code_ = code;
  last_close_reason_.assign(reason);
  last_close_initiator_ = CloseInitiator::Local;
  set_state(ClientState::Closed);
}

void ClientSession::reconnect_now(TimeMs now) {
  now_ = now;
  if (state_ == ClientState::Backoff) {
    begin_connect(now);
  } else if (state_ == ClientState::GaveUp) {
    connect(now);
  } else if (state_ == ClientState::Ready) {
    // The link may be dead while we still say Ready (the app was suspended,
    // the network changed): check it now rather than a heartbeat interval later.
    int64_t ping_timestamp = 0;
    if (heartbeat_.probe(now, &ping_timestamp)) queue_ping(ping_timestamp);
  }
}

SendStatus ClientSession::send(std::string_view channel, std::string_view data, bool reliable,
                               uint64_t message_id, TimeMs now, PayloadKind payload) {
  now_ = now;
  if (state_ == ClientState::Closed || state_ == ClientState::GaveUp) return SendStatus::WrongState;
  if (!is_valid_channel(channel)) return SendStatus::InvalidChannel;
  if (!fits_in_frame(channel, data.size())) return SendStatus::TooLarge;
  if (payload == PayloadKind::Binary) {
    if (state_ == ClientState::Ready && !peer_binary_) return SendStatus::Unsupported;
  } else {
    switch (validate_json_payload(data, config_.limits)) {
      case CodecError::None: break;
      case CodecError::TooLarge: return SendStatus::TooLarge;
      default: return SendStatus::InvalidPayload;
    }
  }
  if (permissions_known_ && !permissions_.allows(ChannelAction::Publish, channel)) {
    return SendStatus::PermissionDenied;
  }
  if (sender_.enqueue(message_id, channel, data, reliable, unix_now(now), payload) !=
      ReliableSender::EnqueueResult::Ok) {
    return SendStatus::QueueFull;
  }
  return SendStatus::Ok;
}

SendStatus ClientSession::subscribe(std::string_view channel, TimeMs now) {
  now_ = now;
  if (state_ == ClientState::Closed || state_ == ClientState::GaveUp) return SendStatus::WrongState;
  if (!is_valid_channel(channel)) return SendStatus::InvalidChannel;
  if (permissions_known_ && !permissions_.allows(ChannelAction::Subscribe, channel)) {
    return SendStatus::PermissionDenied;
  }
  subscriptions_.add(channel);
  send_subscription(MessageType::Subscribe, channel);
  return SendStatus::Ok;
}

SendStatus ClientSession::unsubscribe(std::string_view channel, TimeMs now) {
  now_ = now;
  if (state_ == ClientState::Closed || state_ == ClientState::GaveUp) return SendStatus::WrongState;
  if (!is_valid_channel(channel)) return SendStatus::InvalidChannel;
  subscriptions_.remove(channel);  // and where we stood in it
  send_subscription(MessageType::Unsubscribe, channel);
  return SendStatus::Ok;
}

void ClientSession::send_subscription(MessageType type, std::string_view channel) {
  if (state_ == ClientState::Ready) {
    Message msg;
    msg.type = type;
    msg.channel.assign(channel);
    const ChannelPosition* at = subscriptions_.position(channel);
    if (type == MessageType::Subscribe && at != nullptr) {
      msg.epoch = at->epoch;
      msg.offset = at->offset;
    }
    queue_control(msg);
  } else {
    // Replayed after auth when the server resumes our session; a fresh
    // session gets the whole wanted set instead.
    const auto pending = offline_subscription_ops_.find(channel);
    if (pending != offline_subscription_ops_.end()) {
      pending->second = type;
    } else {
      offline_subscription_ops_.emplace(std::string(channel), type);
    }
  }
}

// ---- inputs -----------------------------------------------------------

void ClientSession::handle_open(TimeMs now) {
  now_ = now;
  if (state_ != ClientState::Connecting) return;
  connect_deadline_ = kNever;
  auth_deadline_ = add_saturating(now, config_.auth_timeout_ms);
  largest_frame_sent_ = 0;
  largest_frame_was_batch_ = false;
  Message auth;
  auth.type = MessageType::Auth;
  auth.token = config_.token;
  if (!session_id_.empty()) {
    auth.session = session_id_;
    auth.last_seq = receiver_.delivered_up_to();
    auth.direct_offset = subscriptions_.direct_offset();  // where its direct stream continues
  }
  auth.window = config_.receive_window;
  // So the server never sends a frame our WebSocket layer would refuse (1009).
  auth.max_frame = config_.limits.max_frame_bytes;
  auth.binary = true;  // we take binary frames (and send them if the server agrees)
  auth.offsets = true;  // we keep channel positions and send them in subscribe (section 11.1)
  queue_control(auth);
  set_state(ClientState::Authenticating);
}

void ClientSession::handle_text(std::string_view frame, TimeMs now) {
  handle_frame(frame, FrameKind::Text, now);
}

void ClientSession::handle_binary(std::string_view frame, TimeMs now) {
  handle_frame(frame, FrameKind::Binary, now);
}

void ClientSession::handle_frame(std::string_view frame, FrameKind kind, TimeMs now) {
  now_ = now;
  if (state_ != ClientState::Authenticating && state_ != ClientState::Ready) return;
  ++counters_.frames_received;
  counters_.bytes_received += frame.size();
  if (kind == FrameKind::Binary && !peer_binary_) {
    // Only a connection whose auth_success said "binary" carries them
    // (docs/PROTOCOL.md 1): the peer is confused, so start over.
    emit_error("unexpected_binary", "binary frame on a connection that did not negotiate binary");
    close_transport(close_code::kUnsupportedData, "binary frames are not supported");
    connection_down();
    schedule_reconnect(close_code::kUnsupportedData, "binary frames are not supported", CloseInitiator::Local,
                       now);
    return;
  }
  decoded_.clear();
  issues_.clear();
  // Frame-level and element-level problems each come back as one issue.
  if (kind == FrameKind::Binary) {
    decode_binary_frame(frame, config_.limits, decoded_, issues_);
  } else {
    decode_frame(frame, config_.limits, decoded_, issues_);
  }
  for (const DecodeIssue& issue : issues_) emit_error(codec_error_name(issue.error), issue.detail);
  for (Message& msg : decoded_) {
    handle_message(std::move(msg), now);
    // A message may end the connection (auth_failed); the rest is moot.
    if (state_ != ClientState::Authenticating && state_ != ClientState::Ready) break;
  }
  if (state_ == ClientState::Ready) schedule_ack(now);
  drain_resolutions();
}

void ClientSession::handle_message(Message&& msg, TimeMs now) {
  switch (msg.type) {
    case MessageType::AuthSuccess:
      if (state_ == ClientState::Authenticating) {
        handle_auth_success(std::move(msg), now);
      } else {
        emit_error("unexpected_message", "auth_success while already authenticated");
      }
      break;
    case MessageType::AuthFailed:
      close_transport(close_code::kNormal, "auth failed");
      connection_down();
      enter_unauthorized(msg.code.empty() ? "auth_failed" : msg.code, msg.reason);
      break;
    case MessageType::Ping: {
      Message pong;
      pong.type = MessageType::Pong;
      pong.timestamp = msg.timestamp;
      queue_control(pong);
      break;
    }
    case MessageType::Pong:
      heartbeat_.handle_pong(msg.timestamp, now);
      break;
    case MessageType::Channel:
      if (state_ != ClientState::Ready) {
        // Nothing reaches the app before auth_success.
        emit_error("not_authenticated", "channel message before auth_success dropped");
        break;
      }
      handle_channel(std::move(msg));
      break;
    case MessageType::Ack:
      sender_.handle_ack(msg.up_to, msg.message_id);
      break;
    case MessageType::TokenRefresh:
      handle_token_refresh(std::move(msg), now);
      break;
    case MessageType::RefreshFailed:
      handle_refresh_failed(std::move(msg), now);
      break;
    case MessageType::PermissionDenied: {
      ClientEvent event;
      event.kind = ClientEvent::Kind::PermissionDenied;
      // The server refuses a publish whose fan-out would not fit a frame with
      // code too_large: for the host that is a size failure, not a permission.
      const SendOutcome outcome = msg.code == "too_large" ? SendOutcome::TooLarge : SendOutcome::PermissionDenied;
      if (msg.message_id != 0) event.message_id = sender_.handle_refused(msg.message_id, outcome);
      if (msg.action == channel_action_name(ChannelAction::Subscribe)) subscriptions_.remove(msg.channel);
      event.channel = std::move(msg.channel);
      event.action = std::move(msg.action);
      event.reason = std::move(msg.reason);
      event.code = std::move(msg.code);
      events_.push(std::move(event));
      break;
    }
    case MessageType::Subscribed:
    case MessageType::Unsubscribed: {
      ClientEvent event;
      event.kind = msg.type == MessageType::Subscribed ? ClientEvent::Kind::Subscribed
                                                       : ClientEvent::Kind::Unsubscribed;
      // An unsubscribed with a code is the server's doing (permission_revoked):
      // the channel is no longer wanted, so a fresh session does not ask again.
      if (msg.type == MessageType::Unsubscribed && !msg.code.empty()) subscriptions_.remove(msg.channel);
      if (msg.type == MessageType::Subscribed) subscriptions_.subscribed(msg.channel, msg.epoch, msg.offset);
      event.channel = std::move(msg.channel);
      event.code = std::move(msg.code);
      event.reason = std::move(msg.reason);
      events_.push(std::move(event));
      break;
    }
    case MessageType::Error:
      if (msg.code == "history_lost") subscriptions_.history_lost(msg.channel, msg.epoch);
      emit_error(msg.code.empty() ? "peer_error" : msg.code, msg.reason);
      break;
    case MessageType::Auth:
    case MessageType::RefreshToken:
    case MessageType::Subscribe:
    case MessageType::Unsubscribe:
      emit_error("unexpected_message", "client-to-server message received from server");
      break;
  }
}

void ClientSession::deliver(Message&& msg, bool reliable) {
  ++counters_.messages_received;
  ClientEvent event;
  event.kind = ClientEvent::Kind::Message;
  event.reliable = reliable;
  event.payload = msg.payload;
  event.message_id = msg.id;
  event.timestamp = msg.timestamp;
  event.channel = std::move(msg.channel);
  event.data = std::move(msg.data);
  events_.push(std::move(event));
}

void ClientSession::handle_closed(uint16_t code, std::string_view reason, TimeMs now,
                                  std::optional<CloseInitiator> initiator) {
  now_ = now;
  if (state_ != ClientState::Connecting && state_ != ClientState::Authenticating &&
      state_ != ClientState::Ready) {
    return;
  }
  const bool authenticating = state_ == ClientState::Authenticating;
  const bool was_open = state_ != ClientState::Connecting;  // frames went out
  connection_down();
  const CloseInitiator who = initiator.value_or(
      code == close_code::kAbnormal ? CloseInitiator::Transport : CloseInitiator::Remote);
  if (code == close_code::kTooBig && who == CloseInitiator::Local) {
    // Our own WebSocket layer refused a frame of the server's: that says
    // nothing about the frames we send, so nothing of ours fails or shrinks.
    emit_error("peer_frame_too_large", "the server sent a frame larger than the " +
                                           std::to_string(config_.limits.max_frame_bytes) +
                                           " bytes we accept; reconnecting");
  } else if (code == close_code::kTooBig && was_open && learn_from_too_big_close()) {
    if (authenticating) {
      // Only auth went out: the token itself is over the server's limit, and
      // reconnecting with it would loop. The host must supply another.
      enter_unauthorized("token_too_large",
                         "the server closed with 1009: the token is larger than it accepts",
                         close_code::kTooBig);
      drain_resolutions();
      return;
    }
    // Messages that cannot fit resolved as TooLarge; the rest is resent.
    drain_resolutions();
  }
  if (code == close_code::kAuthFailed) {
    enter_unauthorized("auth_failed", reason);
  } else if (code == close_code::kTokenExpired) {
    enter_unauthorized("token_expired", reason);
  } else {
    schedule_reconnect(code, reason, who, now);
  }
}

void ClientSession::handle_timeout(TimeMs now) {
  now_ = now;
  if (state_ == ClientState::Connecting && now >= connect_deadline_) {
    close_transport(close_code::kNormal, "connect timeout");
    connection_down();
    schedule_reconnect(close_code::kAbnormal, "connect timeout", CloseInitiator::Local, now);
  }
  if (state_ == ClientState::Authenticating && now >= auth_deadline_) {
    close_transport(close_code::kAuthTimeout, "auth timeout");
    connection_down();
    emit_error("auth_timeout", "no auth_success within the auth timeout");
    schedule_reconnect(close_code::kAuthTimeout, "auth timeout", CloseInitiator::Local, now);
  }
  if (state_ == ClientState::Backoff && now >= reconnect_at_) begin_connect(now);
  if (state_ == ClientState::Ready) {
    int64_t ping_timestamp = 0;
    switch (heartbeat_.handle_timeout(now, &ping_timestamp)) {
      case Heartbeat::Action::SendPing:
        queue_ping(ping_timestamp);
        break;
      case Heartbeat::Action::LinkDead:
        close_transport(close_code::kHeartbeatTimeout, "heartbeat timeout");
        connection_down();
        schedule_reconnect(close_code::kHeartbeatTimeout, "heartbeat timeout", CloseInitiator::Local, now);
        break;
      case Heartbeat::Action::None:
        break;
    }
  }
  if (state_ == ClientState::Ready) {
    if (now >= ack_at_) queue_ack_now();
    sender_.handle_timeout(now);
    if (now >= refresh_deadline_ && token_waiting_) {
      // Moot: the host's newer token replaces the one that went unanswered.
      refresh_deadline_ = kNever;
      token_waiting_ = false;
      send_refresh(now);
    } else if (now >= refresh_deadline_) {
      refresh_deadline_ = kNever;
      ClientEvent event;
      event.kind = ClientEvent::Kind::TokenExpiring;
      event.expires_at = token_expires_at_;
      event.code = "refresh_timeout";
      event.reason = "no token_refresh within the refresh timeout";
      events_.push(std::move(event));
    } else if (now >= refresh_at_) {
      refresh_at_ = kNever;
      send_refresh(now);
    }
  }
  backoff_.handle_timeout(now);
  drain_resolutions();
}

// ---- outputs ----------------------------------------------------------

TimeMs ClientSession::next_timeout() const {
  TimeMs next = backoff_.next_timeout();
  switch (state_) {
    case ClientState::Connecting: next = std::min(next, connect_deadline_); break;
    case ClientState::Authenticating: next = std::min(next, auth_deadline_); break;
    case ClientState::Backoff: next = std::min(next, reconnect_at_); break;
    case ClientState::Ready:
      next = std::min(
          {next, heartbeat_.next_timeout(), sender_.next_timeout(), refresh_at_, refresh_deadline_, ack_at_});
      break;
    default: break;
  }
  return next;
}

bool ClientSession::poll_transmit(std::string& frame, FrameKind& kind) {
  if (state_ == ClientState::Ready) {
    // One frame at a time: the transport writes it while the next is encoded.
    TransmitView view;
    // A delayed ack rides in whatever goes out now.
    if (ack_at_ != kNever && outbox_.writer().has_pending()) queue_ack_now();
    while (!outbox_.has_complete_frame() && sender_.next_transmit(now_, view)) {
      if (ack_at_ != kNever) queue_ack_now();
      outbox_.queue_channel(view);
      if (!view.retransmission) ++counters_.messages_sent;
    }
  }
  if (!outbox_.pop_frame(frame, kind)) return false;
  if (frame.size() > largest_frame_sent_) {
    largest_frame_sent_ = frame.size();
    // A binary frame of one record is not a batch, but guessing it is only
    // halves the room for batches after a 1009 the peer did not explain.
    largest_frame_was_batch_ = kind == FrameKind::Binary || frame[0] == '[';
  }
  ++counters_.frames_sent;
  counters_.bytes_sent += frame.size();
  return true;
}

bool ClientSession::poll_action(TransportAction& action) { return outbox_.poll_action(action); }

bool ClientSession::poll_event(ClientEvent& event) {
  return events_.poll(event);
}

// ---- helpers ----------------------------------------------------------

void ClientSession::set_state(ClientState state, bool resumed) {
  state_ = state;
  ClientEvent event;
  event.kind = ClientEvent::Kind::StateChanged;
  event.state = state;
  event.resumed = resumed;
  if (state == ClientState::Backoff) {  // tether.h: the numbers a state does not use are 0
    event.attempt = backoff_.attempts();
    event.delay_ms = reconnect_delay_;
  }
  if (state == ClientState::Backoff || state == ClientState::Closed || state == ClientState::GaveUp ||
      state == ClientState::Unauthorized) {
    event.close_code = last_close_code_;
    event.reason = last_close_reason_;
    event.initiator = last_close_initiator_;
  }
  events_.push(std::move(event));
}

void ClientSession::close_transport(uint16_t code, std::string_view reason) {
  outbox_.queue_action(TransportAction::Kind::Close, code, reason);
  outbox_.discard_frames();
}

void ClientSession::stop_connection_timers() {
  connect_deadline_ = kNever;
  auth_deadline_ = kNever;
  refresh_at_ = kNever;
  refresh_deadline_ = kNever;
  refresh_unanswered_ = 0;  // answers die with the connection
  ack_at_ = kNever;         // the next auth's lastSeq says it
  token_waiting_ = false;   // the next auth presents the newest token anyway
  heartbeat_.stop();
}

void ClientSession::connection_down() {
  stop_connection_timers();
  peer_binary_ = false;  // the next connection negotiates again
  sender_.deactivate();
  backoff_.on_disconnected();
  outbox_.discard_frames();
}

void ClientSession::schedule_reconnect(uint16_t code, std::string_view reason, CloseInitiator who,
                                       TimeMs now) {
  last_close_code_ = code;
  last_close_reason_.assign(reason);
  last_close_initiator_ = who;
  const std::optional<TimeMs> delay = backoff_.next_delay();
  if (!delay) {
    sender_.fail_all(SendOutcome::Closed);
    drain_resolutions();
    set_state(ClientState::GaveUp);
    return;
  }
  reconnect_delay_ = *delay;
  reconnect_at_ = add_saturating(now, *delay);
  set_state(ClientState::Backoff);
}

void ClientSession::queue_control(const Message& msg) { outbox_.queue_control(msg); }

void ClientSession::queue_ping(int64_t timestamp) {
  Message ping;
  ping.type = MessageType::Ping;
  ping.timestamp = timestamp;
  queue_control(ping);
}

void ClientSession::drain_resolutions() {
  SendResolution resolution;
  while (sender_.poll_resolution(resolution)) {
    ClientEvent event;
    event.message_id = resolution.message_id;
    event.outcome = resolution.outcome;
    event.kind = resolution.outcome == SendOutcome::Acked ? ClientEvent::Kind::Acked
                                                          : ClientEvent::Kind::SendFailed;
    events_.push(std::move(event));
  }
}

void ClientSession::emit_error(std::string_view code, std::string_view reason) {
  ++counters_.errors;
  ClientEvent event;
  event.kind = ClientEvent::Kind::Error;
  event.code.assign(code);
  event.reason.assign(reason);
  events_.push(std::move(event));
}

}  // namespace tether::core
