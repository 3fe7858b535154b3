#pragma once
// Channels shared by several tether-server nodes through Redis
// (tether-server --redis). Each publish runs one Lua script that appends it
// to the channel's stream, records the publishing session's committed
// sequence and publishes it to the nodes (cluster_keys.h), atomically. A
// node subscribes in Redis only to the channels its own sessions want, and
// fans out what arrives there to them. A client's reliable publish is
// acked only once the script succeeded (Broker::commits_async), so one whose
// node dies before it resends it, and the script's sequence check keeps the
// resend from being published twice.
//
// Runs on the server's EventLoop: hiredis's async API, no thread, no
// blocking call. Redis unreachable: reliable client publishes fail their
// commit (the client resends them), other publishes are dropped and counted.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/broker.h"
#include "core/channel_feed.h"
#include "core/local_broker.h"
#include "transport/event_loop.h"
#include "transport/redis_client.h"

namespace tether::server {

struct ClusterOptions {
  std::string redis_url;     // redis://HOST:PORT or unix:///path
  std::string node_id;       // this node's name in logs and in Redis; empty = random
  size_t history_size = 1000;  // reliable messages kept per channel for resumes
  // How long a channel's history and a session's committed sequence outlive
  // their last publish: at least as long as a session can be resumed.
  int64_t history_ttl_ms = 10 * 60 * 1000;
  // On SIGTERM the node closes its clients over this long (tether-server).
  int64_t drain_ms = 5000;
  transport::RedisClientOptions redis;
  // One line per connection change to Redis. Default: none.
  std::function<void(std::string_view line)> log;
};

// nullptr if usable, else a static description of the first problem.
const char* validate(const ClusterOptions& options);

struct ClusterStats {
  uint64_t published = 0;         // scripts that succeeded
  uint64_t duplicates = 0;        // resends the script found committed already
  uint64_t commit_failures = 0;   // reliable client publishes not committed (resent by the client)
  uint64_t dropped_publishes = 0; // other publishes lost because Redis was unreachable
  uint64_t received = 0;          // pub/sub messages received for local subscribers
  uint64_t fetched = 0;           // messages pub/sub missed, fetched from the streams
  uint64_t history_lost = 0;      // times a channel's history was gone when a node needed it
  uint64_t claims = 0;            // sessions presented to this node and claimed in Redis
  uint64_t recovered = 0;         // of those, held by another node before (taken over)
  uint64_t caught_up = 0;         // messages fetched for sessions that named a position
  uint64_t malformed = 0;         // pub/sub messages (or stream entries) that were not ours
  double redis_rtt_us = 0;        // smoothed command round trip
  bool connected = false;         // both Redis connections are up
};

class ClusterBroker final : public core::Broker {
 public:
  // Connects at once (and reconnects by itself). `options` must be valid.
  ClusterBroker(transport::EventLoop& loop, ClusterOptions options);
  ~ClusterBroker() override;
  ClusterBroker(const ClusterBroker&) = delete;
  ClusterBroker& operator=(const ClusterBroker&) = delete;

  void bind(core::BrokerCallbacks callbacks) override;
  bool commits_async() const override { return true; }
  bool confirms_subscriptions() const override { return true; }
  bool recovers_sessions() const override { return true; }
  void register_session(const std::string& session_id, std::string_view user,
                        const core::ChannelPosition& direct_from) override;
  bool send_direct(const std::string& session_id, std::string_view channel, std::string_view data, bool reliable,
                   core::PayloadKind payload) override;
  void claim_session(const std::string& session_id, std::string_view user) override;
  void subscribe_from(const std::string& session_id, const std::string& channel,
                      const core::ChannelPosition& from) override;
  bool ready() const override { return commands_->connected() && subscriber_->connected(); }
  void set_wake(std::function<void()> wake) override { wake_ = std::move(wake); }
  void subscribe(const std::string& session_id, const std::string& channel) override;
  void unsubscribe(const std::string& session_id, const std::string& channel) override;
  void remove_session(const std::string& session_id) override;
  void publish(const std::string& channel, std::string_view data, bool reliable, core::PayloadKind payload,
               const core::PublishOrigin& origin) override;

  const std::string& node_id() const { return options_.node_id; }
  ClusterStats stats() const;

 private:
  void on_message(std::string_view redis_channel, std::string_view message);
  // Feeds: one per channel with local subscribers (core::ChannelFeed).
  void open_feed(const std::string& channel);
  void request_top(const std::string& channel);
  void pump_feed(const std::string& channel);
  void request_range(const std::string& channel, uint64_t request, uint64_t from, uint64_t to);
  void on_connected();
  void load_script();
  void on_subscribed(std::string_view redis_channel);
  void log_connection(const char* event, const char* role, std::string_view why);
  void answer_commit(const std::string& session_id, uint64_t seq, core::CommitResult result);
  void fail_later(std::string session_id, uint64_t seq);
  // Runs the publish script on `channel`'s stream; false if not sent.
  bool run_publish(const std::string& channel, const char* kind, std::string_view data, bool reliable,
                   const core::PublishOrigin& origin);
  // cluster_broker_sessions.cpp: sessions continuing from a position.
  void advance_catch_up(const std::string& channel, const std::string& session_id);
  void advance_catch_ups(const std::string& channel);
  void join_feed(const std::string& channel, const std::string& session_id, const core::ChannelPosition& start);
  void close_feed_if_unused(const std::string& channel);
  // Keys of live sessions and listened channels are kept from expiring.
  void schedule_refresh();
  void refresh_keys();
  void forget_catch_up(const std::string& session_id, const std::string& channel);
  void retry_catch_up_later(const std::string& channel, const std::string& session_id);
  static constexpr int64_t kCatchUpRetryMs = 250;
  void tell_history_lost(const std::string& session_id, const std::string& channel, const std::string& epoch);

  transport::EventLoop& loop_;
  ClusterOptions options_;
  core::LocalBroker local_;      // this node's sessions and their channels
  // One per channel with local subscribers; sessions whose subscription
  // waits for the feed to start (it is confirmed to them then).
  struct Feed {
    core::ChannelFeed feed;
    std::unordered_set<std::string> awaiting;
    // Sessions that named a position: fed from the stream until they reach
    // the feed, then joined to it (cluster_broker_sessions.cpp).
    struct CatchUp {
      core::ChannelPosition at;     // the session has everything up to here
      core::ChannelPosition start;  // where its client stood: confirmed as the start
      uint64_t request = 0;      // its range request in flight; 0 for none
    };
    std::unordered_map<std::string, CatchUp> catching_up;
  };
  std::unordered_map<std::string, Feed> feeds_;
  core::DeliverFn deliver_;
  core::ClaimFn claimed_;
  uint64_t catch_up_requests_ = 0;
  // The channels each session is catching up on (Feed::catching_up), so a
  // session's end finds them without a walk over every feed.
  std::unordered_map<std::string, std::unordered_set<std::string>> catch_up_channels_;
  // Sessions this node recorded (register_session) and still holds: their
  // keys are refreshed while they live here, however quiet they are.
  std::unordered_set<std::string> registered_;
  transport::TimerId refresh_timer_ = transport::kNoTimer;
  core::CommitFn commit_;
  core::SubscribedFn subscribed_;
  core::NoticeFn notice_;
  std::function<void()> wake_;
  std::string script_sha_;    // the publish script's SHA1 once Redis has it (EVALSHA)
  std::string epoch_prefix_;  // with a counter: the epoch a channel gets if this node creates it
  uint64_t epochs_offered_ = 0;
  std::unique_ptr<transport::RedisClient> commands_;
  std::unique_ptr<transport::RedisClient> subscriber_;
  ClusterStats stats_;
  bool commands_down_ = false;  // its loss was logged; the retries are not
  bool subscriber_down_ = false;
  // Posted tasks and reply callbacks hold a weak reference: they may outlive us.
  std::shared_ptr<char> lifetime_ = std::make_shared<char>();
};

}  // namespace tether::server
