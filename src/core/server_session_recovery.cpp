// A cluster node answering an auth that names a session (docs/PROTOCOL.md
// 11.1): the cluster says where that session was last held, and this node
// either resumes its own copy, or takes the session over from the node
// that held it, continuing the client's sequence where the cluster
// committed it.
#include <utility>

#include "core/server_session.h"

namespace tether::core {

const std::string& ServerSession::claimed_session_id() const {
  static const std::string kNone;
  return claim_ ? claim_->auth.session : kNone;
}

void ServerSession::complete_claim(const SessionClaim& claim) {
  if (!claim_ || closing_ || !open_) return;
  std::unique_ptr<PendingClaim> pending = std::move(claim_);
  using Kind = SessionClaim::Kind;
  switch (claim.kind) {
    case Kind::Unavailable:
      // Resuming it here could not be exactly once, and a new session would
      // lose what the client's old node held: the client retries, here or
      // at its next url, once the cluster answers again.
      {
        Message notice;  // not the client's fault: no Error event for the log
        notice.type = MessageType::Error;
        notice.code = "cluster_unavailable";
        notice.reason = "this node cannot reach the cluster to resume the session; retry";
        queue_control(notice);
      }
      close(close_code::kTryAgainLater, "cluster unavailable");
      return;
    case Kind::Unknown:
      // Never recorded (a session begun while the cluster was away lives
      // only here), expired, or another user's: this node's table decides.
      attach(std::move(pending->auth), std::move(pending->claims), Attach::Local);
      return;
    case Kind::Here:
      if (table_.find(pending->auth.session)) {
        attach(std::move(pending->auth), std::move(pending->claims), Attach::Local);
        return;
      }
      break;  // held here once, but forgotten since (a restart): as from elsewhere
    case Kind::Elsewhere:
      break;
  }
  attach(std::move(pending->auth), std::move(pending->claims), Attach::Recover, claim);
}

// The session continues here as the cluster left it: the client's publishes
// after `committed` are resent to this node (and the publish script refuses
// any it had committed already); this node's messages are numbered afresh,
// and the client subscribes again, from its positions. A copy this node
// still held from before the session moved away is stale: whatever it
// queued, the client got from the other node, so it is dropped.
void ServerSession::recover_session(const std::string& id, const TokenClaims& claims, uint64_t committed) {
  state_ = table_.take_over(id, claims.subject, connection_id_);
  if (state_) {
    for (const std::string& channel : state_->subscriptions) {
      ServerEvent event;
      event.kind = ServerEvent::Kind::Unsubscribed;
      event.channel = channel;
      push_event(std::move(event));
    }
    state_->subscriptions.clear();
    state_->sender.fail_all(SendOutcome::Closed);
    state_->drain_resolutions();
  } else if (!table_.find(id)) {
    auto fresh = std::make_shared<SessionState>(id, config_.reliable, config_.receive_window);
    fresh->claims.subject = claims.subject;  // the cluster's record said this user
    if (!table_.adopt(fresh, kNever)) return;
    state_ = table_.take_over(id, claims.subject, connection_id_);
    if (!state_) {
      table_.remove(id);
      return;
    }
  } else {
    return;  // another user's session by that id here: the caller makes a new one
  }
  state_->receiver.restore(committed);
  state_->commits.reset(committed);
  state_->next_message_id = 1;
}

}  // namespace tether::core
