// ClientSession: authentication, token refresh and Unauthorized. The token
// the host supplies is never lost: it is used for every later auth and, while
// Ready, presented through refresh_token one request at a time.
#include <algorithm>
#include <utility>

#include "core/client_session.h"
#include "core/jwt.h"

namespace tether::core {

bool ClientSession::set_token(std::string token, TimeMs now) {
  if (!is_valid_utf8(token)) return false;
  now_ = now;
  config_.token = std::move(token);
  const TokenCheck claims = read_claims_unverified(config_.token);
  token_expires_at_ = claims.error == TokenError::None ? claims.claims.expires_at_ms : 0;
  if (state_ == ClientState::Unauthorized) {
    backoff_.reset();
    begin_connect(now);
  } else if (state_ == ClientState::Ready) {
    // Let the server switch this session to the new token without
    // reconnecting. Refreshes go one at a time (docs/PROTOCOL.md 8.4), so
    // with one in flight this token follows as soon as it is answered.
    if (refresh_deadline_ != kNever) {
      token_waiting_ = true;
    } else {
      send_refresh(now);
    }
  } else if (state_ == ClientState::Authenticating) {
    token_waiting_ = true;  // auth went out with the old token: refresh once Ready
  }
  return true;
}

void ClientSession::handle_auth_success(Message&& msg, TimeMs now) {
  const bool resumed = msg.resumed && !session_id_.empty() && msg.session == session_id_;
  // Another cluster node took the session over (docs/PROTOCOL.md 11.1): our
  // sends resume as usual, but it numbers its own messages afresh and holds
  // none of our subscriptions.
  const bool recovered = resumed && msg.recovered;
  session_id_ = std::move(msg.session);
  permissions_ = PermissionSet(msg.permissions);
  permissions_known_ = true;
  // A new session has a direct stream of its own; a recovered one goes on
  // with the old one from where we stood (our auth said).
  if (!resumed) subscriptions_.forget_direct_position();
  if (!resumed || recovered) {
    // Anything held out of order is in the old numbering: the new node
    // resends what we have not seen, from our channel positions.
    receiver_.reset();
    deferred_up_to_ = 0;  // the new session numbers from 1
    acked_up_to_ = 0;
    duplicates_at_ack_ = receiver_.duplicates();
  }
  learn_peer_limits(msg);
  peer_binary_ = msg.binary;
  sender_.activate(resumed, msg.last_seq);
  // After activate, so what the peer already delivered resolves as Acked.
  apply_frame_limits();
  drop_binary_if_unsupported();
  auth_deadline_ = kNever;
  heartbeat_.start(now);
  backoff_.on_connected(now);
  if (msg.expires_at != 0) token_expires_at_ = msg.expires_at;
  if (ever_authenticated_) ++counters_.reconnects;
  ever_authenticated_ = true;

  // Bring the server's subscriptions in line with what the host wants.
  PendingSubscriptions ops;
  ops.swap(offline_subscription_ops_);
  set_state(ClientState::Ready, resumed);
  if (token_waiting_) {
    token_waiting_ = false;
    send_refresh(now);
  }
  if (resumed && !recovered) {
    for (const auto& [channel, type] : ops) send_subscription(type, channel);
  } else {
    for (const auto& wanted : subscriptions_.entries()) send_subscription(MessageType::Subscribe, wanted.first);
  }

  ClientEvent event;
  event.kind = ClientEvent::Kind::AuthOk;
  event.permissions = std::move(msg.permissions);
  event.user_id = std::move(msg.user_id);
  event.session = session_id_;
  event.expires_at = token_expires_at_;
  event.resumed = resumed;
  event.recovered = recovered;
  events_.push(std::move(event));
  schedule_refresh(now);
}

bool ClientSession::refresh_answer_is_current(TimeMs now) {
  if (refresh_unanswered_ > 0) --refresh_unanswered_;
  // It answers a refresh that timed out; the one sent since is still pending.
  if (refresh_unanswered_ > 0) return false;
  refresh_deadline_ = kNever;
  if (token_waiting_) {
    // The host supplied a newer token meanwhile: this answer is about an old
    // one, and adopting it would overwrite the host's. Present the new one.
    token_waiting_ = false;
    send_refresh(now);
    return false;
  }
  return true;
}

void ClientSession::handle_token_refresh(Message&& msg, TimeMs now) {
  if (!refresh_answer_is_current(now)) return;
  config_.token = std::move(msg.token);
  int64_t expires_at = msg.expires_at;
  if (expires_at == 0) {
    const TokenCheck claims = read_claims_unverified(config_.token);
    if (claims.error == TokenError::None) expires_at = claims.claims.expires_at_ms;
  }
  token_expires_at_ = expires_at;
  // The server applied the new token's permissions to the session at once.
  // A server that does not list them (protocol v1) may have changed them
  // too, so stop failing fast on a stale set and let the server decide.
  permissions_known_ = msg.has_permissions;
  if (msg.has_permissions) permissions_ = PermissionSet(msg.permissions);
  ClientEvent event;
  event.kind = ClientEvent::Kind::TokenRefreshed;
  event.token = config_.token;
  event.expires_at = expires_at;
  event.permissions = std::move(msg.permissions);
  events_.push(std::move(event));
  schedule_refresh(now);
}

void ClientSession::handle_refresh_failed(Message&& msg, TimeMs now) {
  if (!refresh_answer_is_current(now)) return;
  ClientEvent event;
  event.kind = ClientEvent::Kind::TokenExpiring;
  event.expires_at = token_expires_at_;
  event.code = std::move(msg.code);
  event.reason = std::move(msg.reason);
  events_.push(std::move(event));
}

void ClientSession::enter_unauthorized(std::string_view code, std::string_view reason,
                                       uint16_t close_code) {
  last_close_code_ = close_code;
  last_close_reason_.assign(reason);
  last_close_initiator_ = CloseInitiator::Remote;
  ClientEvent event;
  event.kind = ClientEvent::Kind::AuthFailed;
  event.code.assign(code);
  event.reason.assign(reason);
  events_.push(std::move(event));
  // Queued sends wait for set_token(); close() resolves them.
  set_state(ClientState::Unauthorized);
}

void ClientSession::schedule_refresh(TimeMs now) {
  refresh_at_ = kNever;
  if (token_expires_at_ == 0 || state_ != ClientState::Ready) return;
  refresh_at_ = std::max(now, sub_saturating(to_local(token_expires_at_), config_.refresh_lead_ms));
}

void ClientSession::send_refresh(TimeMs now) {
  if (refresh_deadline_ != kNever) return;  // one refresh in flight at a time
  Message refresh;
  refresh.type = MessageType::RefreshToken;
  refresh.token = config_.token;
  queue_control(refresh);
  ++refresh_unanswered_;
  refresh_deadline_ = add_saturating(now, config_.refresh_timeout_ms);
}

}  // namespace tether::core
