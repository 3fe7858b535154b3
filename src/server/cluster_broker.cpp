#include "server/cluster_broker.h"

#include <charconv>
#include <utility>
#include <vector>

#include "server/cluster_keys.h"
#include "server/log_line.h"
#include "transport/secure_random.h"

namespace tether::server {


const char* validate(const ClusterOptions& options) {
  transport::RedisAddress address;
  if (!transport::parse_redis_url(options.redis_url, address).empty()) return "invalid Redis URL";
  if (options.node_id.size() > 64) return "node id must be at most 64 bytes";
  for (char c : options.node_id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '_' || c == '.';
    if (!plain) return "node id may hold only letters, digits, '-', '_' and '.'";
  }
  if (options.history_size == 0 || options.history_size > 10'000'000) return "history size must be 1..10000000";
  if (options.history_ttl_ms < 1000) return "history TTL must be >= 1000 ms";
  return transport::validate(options.redis);
}

ClusterBroker::ClusterBroker(transport::EventLoop& loop, ClusterOptions options)
    : loop_(loop), options_(std::move(options)) {
  if (options_.node_id.empty()) options_.node_id = "node-" + transport::secure_random_hex(4);
  epoch_prefix_ = transport::secure_random_hex(6);
  transport::RedisAddress address;
  transport::parse_redis_url(options_.redis_url, address);  // validated by the caller

  transport::RedisClientHandlers command_handlers;
  command_handlers.on_connected = [this] {
    log_connection("redis connected", "commands", {});
    load_script();  // first: it runs before any publish sent on this connection
    on_connected();
  };
  command_handlers.on_disconnected = [this](std::string_view why) {
    log_connection("redis disconnected", "commands", why);
  };
  commands_ = std::make_unique<transport::RedisClient>(loop_, address, std::move(command_handlers), options_.redis);
  transport::RedisClientHandlers subscriber_handlers;
  subscriber_handlers.on_message = [this](std::string_view channel, std::string_view message) {
    on_message(channel, message);
  };
  subscriber_handlers.on_subscribed = [this](std::string_view channel) { on_subscribed(channel); };
  subscriber_handlers.on_connected = [this] {
    log_connection("redis connected", "subscriber", {});
    on_connected();
  };
  subscriber_handlers.on_disconnected = [this](std::string_view why) {
    log_connection("redis disconnected", "subscriber", why);
  };
  subscriber_ = std::make_unique<transport::RedisClient>(loop_, address, std::move(subscriber_handlers), options_.redis);
  commands_->start();
  schedule_refresh();
  subscriber_->start();
}

ClusterBroker::~ClusterBroker() { loop_.cancel_timer(refresh_timer_); }

void ClusterBroker::bind(core::BrokerCallbacks callbacks) {
  deliver_ = callbacks.deliver;  // catch-ups go to one session; the rest through local_
  claimed_ = std::move(callbacks.claimed);
  commit_ = std::move(callbacks.commit);
  subscribed_ = std::move(callbacks.subscribed);
  notice_ = std::move(callbacks.notice);
  local_.bind(std::move(callbacks));
}

// Redis subscriptions follow this node's: the first local subscriber of a
// channel subscribes the node, the last one to leave unsubscribes it.
// A subscription is in force once the channel's feed has started: from its
// top offset on, read after Redis confirmed the node's SUBSCRIBE, everything
// reaches the node. Until then the session waits for its confirmation.
void ClusterBroker::subscribe(const std::string& session_id, const std::string& channel) {
  auto existing = feeds_.find(channel);
  if (existing != feeds_.end() && existing->second.catching_up.count(session_id) != 0) return;  // joins later
  local_.subscribe(session_id, channel);
  if (feeds_.count(channel) == 0) open_feed(channel);
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end()) return;  // out of memory
  if (feed->second.feed.started()) {
    const core::ChannelFeed& f = feed->second.feed;
    if (subscribed_) subscribed_(session_id, channel, core::ChannelPosition{f.epoch(), f.next_offset() - 1});
  } else {
    try {
      feed->second.awaiting.insert(session_id);
    } catch (...) {
    }
  }
}

void ClusterBroker::unsubscribe(const std::string& session_id, const std::string& channel) {
  local_.unsubscribe(session_id, channel);
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end()) return;
  feed->second.awaiting.erase(session_id);
  if (feed->second.catching_up.erase(session_id) != 0) forget_catch_up(session_id, channel);
  close_feed_if_unused(channel);
}

void ClusterBroker::remove_session(const std::string& session_id) {
  registered_.erase(session_id);
  std::vector<std::string> channels = local_.channels_of(session_id);
  local_.remove_session(session_id);
  auto catching_up = catch_up_channels_.find(session_id);
  if (catching_up != catch_up_channels_.end()) {
    channels.insert(channels.end(), catching_up->second.begin(), catching_up->second.end());
    catch_up_channels_.erase(catching_up);
  }
  for (const std::string& channel : channels) {
    auto feed = feeds_.find(channel);
    if (feed == feeds_.end()) continue;
    feed->second.awaiting.erase(session_id);
    feed->second.catching_up.erase(session_id);
    close_feed_if_unused(channel);
  }
}

// A node listens to a channel while any of its sessions is subscribed there
// or catching up on it.
void ClusterBroker::close_feed_if_unused(const std::string& channel) {
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end() || local_.subscriber_count(channel) != 0 || !feed->second.catching_up.empty()) return;
  subscriber_->unsubscribe(cluster::pubsub_channel(channel));
  feeds_.erase(feed);
}

void ClusterBroker::publish(const std::string& channel, std::string_view data, bool reliable,
                            core::PayloadKind payload, const core::PublishOrigin& origin) {
  const char* kind = payload == core::PayloadKind::Binary ? "b" : "j";
  if (run_publish(channel, kind, data, reliable, origin)) return;
  if (origin.seq == 0) {
    ++stats_.dropped_publishes;
    return;
  }
  fail_later(std::string(origin.session_id), origin.seq);  // the Broker contract: never from inside publish()
}

// Through the session's own stream, so that whichever node holds the
// session when it comes back delivers it. Not sent (Redis away): the
// endpoint queues it on this node, where it is lost if the node dies.
bool ClusterBroker::send_direct(const std::string& session_id, std::string_view channel, std::string_view data,
                                bool reliable, core::PayloadKind payload) {
  std::string packed;
  try {
    packed = cluster::pack_direct(channel, data);
  } catch (...) {
    return false;
  }
  return run_publish(cluster::direct_channel(session_id), payload == core::PayloadKind::Binary ? "B" : "J", packed,
                     reliable, core::PublishOrigin{});
}

bool ClusterBroker::run_publish(const std::string& channel, const char* kind, std::string_view data, bool reliable,
                                const core::PublishOrigin& origin) {
  const bool from_client = origin.seq != 0;
  std::vector<std::string> argv;
  try {
    const bool cached = !script_sha_.empty();
    argv = {cached ? "EVALSHA" : "EVAL",
            cached ? script_sha_ : std::string(cluster::kPublishScript),
            "3",
            cluster::stream_key(channel),
            cluster::meta_key(channel),
            from_client ? cluster::session_key(origin.session_id) : std::string(),
            std::to_string(origin.seq),
            std::to_string(origin.previous_seq),
            std::to_string(options_.history_size),
            epoch_prefix_ + std::to_string(++epochs_offered_),
            std::to_string(options_.history_ttl_ms),
            cluster::pubsub_channel(channel),
            kind,
            reliable ? "1" : "0",
            std::string(data)};
  } catch (...) {
    argv.clear();  // out of memory: treated as Redis being unreachable
  }
  const std::string session_id = from_client ? std::string(origin.session_id) : std::string();
  const uint64_t seq = origin.seq;
  const bool sent = !argv.empty() && commands_->command(std::move(argv), [this, session_id, seq](
                                                                             transport::RedisReply&& reply) {
    using Type = transport::RedisReply::Type;
    int64_t status = -2;  // no usable answer
    if (reply.type == Type::Array && !reply.elements.empty() && reply.elements[0].type == Type::Integer) {
      status = reply.elements[0].integer;
    } else if (reply.type == Type::Error && reply.text.rfind("NOSCRIPT", 0) == 0) {
      load_script();  // someone flushed Redis's script cache; this publish is resent
    }
    if (status == 1) ++stats_.published;
    if (seq == 0) {
      if (status != 1) ++stats_.dropped_publishes;
      return;
    }
    if (status == 1) {
      answer_commit(session_id, seq, core::CommitResult::Committed);
    } else if (status == 0) {
      ++stats_.duplicates;
      answer_commit(session_id, seq, core::CommitResult::Duplicate);
    } else {
      answer_commit(session_id, seq, core::CommitResult::Failed);
    }
  });
  return sent;
}

void ClusterBroker::answer_commit(const std::string& session_id, uint64_t seq, core::CommitResult result) {
  if (result == core::CommitResult::Failed) ++stats_.commit_failures;
  if (commit_) commit_(session_id, seq, result);
  if (wake_) wake_();
}

void ClusterBroker::fail_later(std::string session_id, uint64_t seq) {
  loop_.post([this, alive = std::weak_ptr<char>(lifetime_), session_id = std::move(session_id), seq] {
    if (alive.expired()) return;
    answer_commit(session_id, seq, core::CommitResult::Failed);
  });
}

void ClusterBroker::on_message(std::string_view redis_channel, std::string_view message) {
  cluster::PubsubMessage parsed;
  if (redis_channel.substr(0, cluster::kPubsubPrefix.size()) != cluster::kPubsubPrefix ||
      !cluster::parse_pubsub_message(message, parsed)) {
    ++stats_.malformed;
    return;
  }
  const std::string channel(redis_channel.substr(cluster::kPubsubPrefix.size()));
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end()) return;  // unsubscribed meanwhile
  ++stats_.received;
  core::FeedEntry entry;
  entry.offset = parsed.reliable ? parsed.offset : 0;
  entry.reliable = parsed.reliable;
  entry.payload = parsed.binary ? core::PayloadKind::Binary : core::PayloadKind::Json;
  entry.data.assign(parsed.data);
  entry.channel = std::move(parsed.channel);
  feed->second.feed.handle_message(parsed.epoch, std::move(entry));
  pump_feed(channel);
}

// While Redis stays away a connection fails an attempt every couple of
// seconds; the log gets the first failure, not each retry.
void ClusterBroker::log_connection(const char* event, const char* role, std::string_view why) {
  const bool up = why.empty();
  bool& down = role[0] == 'c' ? commands_down_ : subscriber_down_;
  if (!up && down) return;
  down = !up;
  if (!options_.log) return;
  LogLine line(event);
  line.add("node", options_.node_id).add("connection", role);
  if (!up) line.add("why", why);
  try {
    options_.log(line.text());
  } catch (...) {
  }
}

// The publish script is sent once per connection (SCRIPT LOAD) and then
// named by its SHA1 (EVALSHA): a publish then carries its arguments, not 1 KB
// of Lua. Until the answer comes, publishes send the script itself (EVAL).
void ClusterBroker::load_script() {
  commands_->command({"SCRIPT", "LOAD", cluster::kPublishScript}, [this](transport::RedisReply&& reply) {
    if (reply.type == transport::RedisReply::Type::String) script_sha_ = std::move(reply.text);
  });
}

// ---- feeds ----------------------------------------------------------------

// Subscribes the node to the channel's pub/sub; once Redis confirms it
// (on_subscribed), reads where the channel stands. The feed delivers what
// follows, fetching whatever pub/sub drops.
void ClusterBroker::open_feed(const std::string& channel) {
  try {
    feeds_.try_emplace(channel);
  } catch (...) {
    return;
  }
  subscriber_->subscribe(cluster::pubsub_channel(channel));
}

void ClusterBroker::on_subscribed(std::string_view redis_channel) {
  if (redis_channel.substr(0, cluster::kPubsubPrefix.size()) != cluster::kPubsubPrefix) return;
  const std::string channel(redis_channel.substr(cluster::kPubsubPrefix.size()));
  if (feeds_.count(channel) != 0) request_top(channel);
}

void ClusterBroker::request_top(const std::string& channel) {
  commands_->command({"EVAL", cluster::kTopScript, "1", cluster::meta_key(channel),
                      epoch_prefix_ + std::to_string(++epochs_offered_), std::to_string(options_.history_ttl_ms)},
                     [this, channel](transport::RedisReply&& reply) {
                       using Type = transport::RedisReply::Type;
                       auto feed = feeds_.find(channel);
                       if (feed == feeds_.end()) return;
                       if (reply.type != Type::Array || reply.elements.size() != 2) return;  // asked again on reconnect
                       const transport::RedisReply& epoch = reply.elements[0];
                       const transport::RedisReply& top = reply.elements[1];
                       uint64_t top_offset = 0;
                       if (top.type == Type::String) {
                         std::from_chars(top.text.data(), top.text.data() + top.text.size(), top_offset);
                       }
                       feed->second.feed.handle_top(epoch.type == Type::String ? epoch.text : std::string(),
                                                    top_offset);
                       // Started: the subscriptions waiting for it are in force.
                       std::unordered_set<std::string> awaiting;
                       awaiting.swap(feed->second.awaiting);
                       const core::ChannelFeed& f = feed->second.feed;
                       const core::ChannelPosition start{f.epoch(), f.next_offset() - 1};
                       for (const std::string& session_id : awaiting) {
                         if (subscribed_) subscribed_(session_id, channel, start);
                       }
                       // The confirmations go out now, not with the next input.
                       if (!awaiting.empty() && wake_) wake_();
                       pump_feed(channel);
                     });
}

void ClusterBroker::pump_feed(const std::string& channel) {
  auto feed = feeds_.find(channel);
  if (feed == feeds_.end()) return;
  core::ChannelFeed& f = feed->second.feed;
  core::FeedEntry entry;
  bool delivered = false;
  if (f.take_history_lost()) {
    // Never silent: each local subscriber hears which channel lost what,
    // before the messages that came after the loss.
    ++stats_.history_lost;
    const std::string reason = cluster::history_lost_reason(channel);
    const core::Notice notice = cluster::history_lost_notice(channel, f.epoch(), reason);
    for (const std::string& session_id : local_.subscribers_of(channel)) {
      if (notice_) notice_(session_id, notice);
    }
    delivered = true;  // the notices go out with the rest
  }
  while (f.poll_delivery(entry)) {
    local_.fan_out(channel, cluster::delivery_of(channel, entry));
    delivered = true;
  }
  uint64_t request = 0, from = 0, to = 0;
  if (f.poll_range_request(request, from, to)) request_range(channel, request, from, to);
  if (f.started() && !feed->second.catching_up.empty()) advance_catch_ups(channel);
  if (delivered && wake_) wake_();
}

void ClusterBroker::request_range(const std::string& channel, uint64_t request, uint64_t from, uint64_t to) {
  const bool sent = commands_->command(
      {"XRANGE", cluster::stream_key(channel), std::to_string(from) + "-0", std::to_string(to) + "-0"},
      [this, channel, request](transport::RedisReply&& reply) {
        auto feed = feeds_.find(channel);
        if (feed == feeds_.end()) return;
        if (reply.type != transport::RedisReply::Type::Array) {
          feed->second.feed.handle_range_failed(request);  // asked again on the next input or reconnect
          return;
        }
        std::vector<core::FeedEntry> entries;
        for (const transport::RedisReply& item : reply.elements) {
          core::FeedEntry entry;
          if (!cluster::parse_stream_entry(item, entry)) {
            ++stats_.malformed;
            continue;
          }
          entries.push_back(std::move(entry));
        }
        stats_.fetched += entries.size();
        feed->second.feed.handle_range(request, std::move(entries));
        pump_feed(channel);
      });
  // Not connected: on_connected reads every channel's top again, which asks again.
  if (!sent) {
    auto feed = feeds_.find(channel);
    if (feed != feeds_.end()) feed->second.feed.handle_range_failed(request);
  }
}

// Either connection came (back) up: pub/sub may have dropped messages while
// it was away, so every feed reads its channel's top again.
void ClusterBroker::on_connected() {
  std::vector<std::string> channels;
  channels.reserve(feeds_.size());
  for (const auto& feed : feeds_) channels.push_back(feed.first);
  for (const std::string& channel : channels) request_top(channel);
}

ClusterStats ClusterBroker::stats() const {
  ClusterStats stats = stats_;
  stats.redis_rtt_us = commands_->stats().rtt_us;
  stats.connected = commands_->connected() && subscriber_->connected();
  return stats;
}

}  // namespace tether::server
