// The cluster's side of sessions that outlive their node
// (docs/PROTOCOL.md 11.1): where each session is held, claiming it for the
// node a client comes back to, and catching a session up on a channel from
// the position its client names, before it joins the channel's live feed.
#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "server/cluster_broker.h"
#include "server/cluster_keys.h"

namespace tether::server {

namespace {

uint64_t parse_offset(std::string_view text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

// The record is fire and forget: a session whose record never made it
// (Redis away) can still be resumed on this node; only another node would
// not know it. Its direct stream is fed to it like a channel it subscribed
// to, from where its client stands after a recovery.
void ClusterBroker::register_session(const std::string& session_id, std::string_view user,
                                     const core::ChannelPosition& direct_from) {
  const std::string direct = cluster::direct_channel(session_id);
  try {
    registered_.insert(session_id);
  } catch (...) {
  }
  commands_->command({"EVAL", cluster::kRegisterScript, "2", cluster::session_key(session_id),
                      cluster::meta_key(direct), std::string(user), options_.node_id,
                      std::to_string(options_.history_ttl_ms), epoch_prefix_ + std::to_string(++epochs_offered_)},
                     nullptr);
  if (direct_from.named()) {
    subscribe_from(session_id, direct, direct_from);
  } else {
    subscribe(session_id, direct);
  }
}

void ClusterBroker::claim_session(const std::string& session_id, std::string_view user) {
  ++stats_.claims;
  auto answer = [this, session_id](const core::SessionClaim& claim) {
    if (claim.kind == core::SessionClaim::Kind::Elsewhere) ++stats_.recovered;
    if (claimed_) claimed_(session_id, claim);
    if (wake_) wake_();
  };
  const bool sent = commands_->command(
      {"EVAL", cluster::kClaimScript, "1", cluster::session_key(session_id), std::string(user), options_.node_id,
       std::to_string(options_.history_ttl_ms)},
      [this, answer](transport::RedisReply&& reply) {
        using Type = transport::RedisReply::Type;
        core::SessionClaim claim;
        claim.kind = core::SessionClaim::Kind::Unavailable;
        if (reply.type == Type::Array && !reply.elements.empty() && reply.elements[0].type == Type::Integer) {
          if (reply.elements[0].integer == 0) {
            claim.kind = core::SessionClaim::Kind::Unknown;
          } else if (reply.elements.size() == 4) {
            const bool here = reply.elements[1].text == options_.node_id;
            claim.kind = here ? core::SessionClaim::Kind::Here : core::SessionClaim::Kind::Elsewhere;
            claim.committed = parse_offset(reply.elements[2].text);
            claim.direct_epoch = std::move(reply.elements[3].text);
          }
        }
        answer(claim);
      });
  if (sent) return;
  // Never from inside claim_session: the Broker contract.
  loop_.post([alive = std::weak_ptr<char>(lifetime_), answer] {
    if (!alive.expired()) answer(core::SessionClaim{core::SessionClaim::Kind::Unavailable, 0, {}});
  });
}

// The session gets what its channel published after `from` from the stream,
// in order, and then joins the node's live feed of the channel exactly where
// the stream left it: nothing twice, nothing missed.
void ClusterBroker::subscribe_from(const std::string& session_id, const std::string& channel,
                                   const core::ChannelPosition& from) {
  if (local_.subscriber_count(channel) != 0) {
    for (const std::string& channel_of_session : local_.channels_of(session_id)) {
      // Subscribed already (the host asked twice): nothing to catch up, and
      // confirmed as a plain subscribe is.
      if (channel_of_session != channel) continue;
      subscribe(session_id, channel);
      return;
    }
  }
  if (feeds_.count(channel) == 0) open_feed(channel);
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end()) return;  // out of memory
  try {
    feed->second.catching_up[session_id] = Feed::CatchUp{from, from, 0};
    catch_up_channels_[session_id].insert(channel);
  } catch (...) {
    feed->second.catching_up.erase(session_id);
    return;
  }
  if (feed->second.feed.started()) advance_catch_up(channel, session_id);
}

// A session's record and its direct stream, and a channel's history, expire
// history_ttl_ms after they were last written. A game session can stay
// connected and quiet for hours, and a channel can stay quiet while clients
// listen: both would expire under them, and a node's death would then find
// nothing to recover (or report a loss that was none). So, three times per
// TTL, the node extends the keys of the sessions it holds and of the
// channels it listens to. Fire and forget: a refresh lost while Redis is
// away is made up by the next one.
void ClusterBroker::schedule_refresh() {
  const int64_t period = std::max<int64_t>(1000, options_.history_ttl_ms / 3);
  refresh_timer_ = loop_.set_timer(period, [this, alive = std::weak_ptr<char>(lifetime_)] {
    if (alive.expired()) return;
    refresh_keys();
    schedule_refresh();
  });
}

void ClusterBroker::refresh_keys() {
  if (!commands_->connected()) return;
  const std::string ttl = std::to_string(options_.history_ttl_ms);
  for (const std::string& session_id : registered_) {
    commands_->command({"PEXPIRE", cluster::session_key(session_id), ttl}, nullptr);
  }
  for (const auto& feed : feeds_) {  // direct streams included: a session listens to its own
    commands_->command({"PEXPIRE", cluster::meta_key(feed.first), ttl}, nullptr);
    commands_->command({"PEXPIRE", cluster::stream_key(feed.first), ttl}, nullptr);
  }
}

void ClusterBroker::advance_catch_ups(const std::string& channel) {
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end()) return;
  std::vector<std::string> sessions;
  sessions.reserve(feed->second.catching_up.size());
  for (const auto& entry : feed->second.catching_up) {
    if (entry.second.request == 0) sessions.push_back(entry.first);
  }
  for (const std::string& session_id : sessions) advance_catch_up(channel, session_id);
}

void ClusterBroker::advance_catch_up(const std::string& channel, const std::string& session_id) {
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end()) return;
  auto found = feed->second.catching_up.find(session_id);
  if (found == feed->second.catching_up.end() || found->second.request != 0) return;
  const core::ChannelFeed& f = feed->second.feed;
  Feed::CatchUp& catch_up = found->second;
  // An empty epoch from the client: it subscribed before the channel had one
  // (nothing was published yet), so its offsets are in the first epoch.
  if (catch_up.at.epoch.empty()) catch_up.at.epoch = catch_up.start.epoch = f.epoch();
  if (catch_up.at.epoch != f.epoch()) {
    // Redis lost the channel since the client's position: the new epoch's
    // history is all news to it.
    catch_up.at = catch_up.start = core::ChannelPosition{f.epoch(), 0};
    tell_history_lost(session_id, channel, f.epoch());
  }
  const uint64_t delivered = f.next_offset() - 1;
  if (catch_up.at.offset > delivered) return;  // ahead of this node's feed: joins once the feed gets there
  if (catch_up.at.offset == delivered) {
    // The confirmation may overtake the messages caught up (it is a control
    // message): it names where the client stood, which they all follow.
    const core::ChannelPosition start = catch_up.start;
    feed->second.catching_up.erase(found);
    forget_catch_up(session_id, channel);
    join_feed(channel, session_id, start);
    return;
  }
  const uint64_t from = catch_up.at.offset + 1;
  const uint64_t to = std::min(delivered, catch_up.at.offset + core::ChannelFeed::kMaxRangeEntries);
  const uint64_t request = ++catch_up_requests_;
  catch_up.request = request;
  const bool sent = commands_->command(
      {"XRANGE", cluster::stream_key(channel), std::to_string(from) + "-0", std::to_string(to) + "-0"},
      [this, channel, session_id, request, from, to](transport::RedisReply&& reply) {
        auto feed = feeds_.find(channel);
        if (feed == feeds_.end()) return;
        auto found = feed->second.catching_up.find(session_id);
        if (found == feed->second.catching_up.end() || found->second.request != request) return;
        found->second.request = 0;
        if (reply.type != transport::RedisReply::Type::Array) {
          // Asked again shortly: a quiet channel (a session's direct stream,
          // often) brings no next message to ask again with.
          retry_catch_up_later(channel, session_id);
          return;
        }
        std::vector<core::FeedEntry> entries;
        for (const transport::RedisReply& item : reply.elements) {
          core::FeedEntry entry;
          const uint64_t next = entries.empty() ? from : entries.back().offset + 1;
          if (!cluster::parse_stream_entry(item, entry) || entry.offset < next || entry.offset > to) {
            ++stats_.malformed;
            continue;
          }
          entries.push_back(std::move(entry));
        }
        // A stream is trimmed from its oldest end, so what it no longer has
        // comes first; the client hears of it before what follows.
        if (entries.empty() || entries.front().offset != from) {
          tell_history_lost(session_id, channel, found->second.at.epoch);
        }
        for (core::FeedEntry& entry : entries) {
          ++stats_.caught_up;
          if (deliver_) deliver_(session_id, cluster::delivery_of(channel, entry));
        }
        found->second.at.offset = to;
        if (wake_) wake_();
        advance_catch_up(channel, session_id);
      });
  if (!sent) catch_up.request = 0;  // Redis away: asked again once it is back (on_connected reads every top)
}

void ClusterBroker::retry_catch_up_later(const std::string& channel, const std::string& session_id) {
  loop_.set_timer(kCatchUpRetryMs, [this, alive = std::weak_ptr<char>(lifetime_), channel, session_id] {
    if (!alive.expired()) advance_catch_up(channel, session_id);
  });
}

void ClusterBroker::join_feed(const std::string& channel, const std::string& session_id,
                              const core::ChannelPosition& start) {
  local_.subscribe(session_id, channel);
  if (subscribed_) subscribed_(session_id, channel, start);
  if (wake_) wake_();
}

void ClusterBroker::forget_catch_up(const std::string& session_id, const std::string& channel) {
  auto channels = catch_up_channels_.find(session_id);
  if (channels == catch_up_channels_.end()) return;
  channels->second.erase(channel);
  if (channels->second.empty()) catch_up_channels_.erase(channels);
}

void ClusterBroker::tell_history_lost(const std::string& session_id, const std::string& channel,
                                      const std::string& epoch) {
  ++stats_.history_lost;
  if (!notice_) return;
  const std::string reason = cluster::history_lost_reason(channel);
  notice_(session_id, cluster::history_lost_notice(channel, epoch, reason));
}

}  // namespace tether::server
