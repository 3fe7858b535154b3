#include "transport/redis_client.h"

#include "transport/detail/asio_setup.h"

#include <hiredis/async.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <deque>
#include <optional>
#include <set>

#include "core/backoff.h"
#include "transport/detail/event_loop_access.h"
#include "transport/detail/hiredis_asio.h"
#include "transport/secure_random.h"

namespace tether::transport {

namespace {

using Clock = std::chrono::steady_clock;
using detail::HiredisSocketWatch;

constexpr double kRttGain = 1.0 / 8;  // RFC 6298's weight for the smoothed RTT

int64_t clamp_ms(int64_t value) { return std::clamp<int64_t>(value, 1, core::kMaxDurationMs); }

RedisClientOptions clamped(RedisClientOptions options) {
  options.connect_timeout_ms = clamp_ms(options.connect_timeout_ms);
  options.command_timeout_ms = clamp_ms(options.command_timeout_ms);
  options.reconnect_min_ms = clamp_ms(options.reconnect_min_ms);
  options.reconnect_max_ms = std::max(options.reconnect_min_ms, clamp_ms(options.reconnect_max_ms));
  options.max_pending_commands = std::max<size_t>(options.max_pending_commands, 1);
  options.max_pending_bytes = std::max<size_t>(options.max_pending_bytes, 1);
  return options;
}

uint64_t random_seed() {
  uint64_t seed = 0;
  if (!secure_random_bytes(&seed, sizeof seed)) seed = static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  return seed;
}

}  // namespace

const char* validate(const RedisClientOptions& o) {
  const auto bad_ms = [](int64_t ms) { return ms <= 0 || ms > core::kMaxDurationMs; };
  if (bad_ms(o.connect_timeout_ms)) return "connect_timeout_ms must be in 1..604800000";
  if (bad_ms(o.command_timeout_ms)) return "command_timeout_ms must be in 1..604800000";
  if (bad_ms(o.reconnect_min_ms)) return "reconnect_min_ms must be in 1..604800000";
  if (bad_ms(o.reconnect_max_ms) || o.reconnect_max_ms < o.reconnect_min_ms) {
    return "reconnect_max_ms must be in reconnect_min_ms..604800000";
  }
  if (o.max_pending_commands == 0) return "max_pending_commands must be > 0";
  if (o.max_pending_bytes == 0) return "max_pending_bytes must be > 0";
  return nullptr;
}

// hiredis calls back into this class from inside redisAsyncHandleRead/Write
// and redisAsyncFree, where the context must not be freed and the connection
// state is half-updated. So those callbacks only take note (or run a ReplyFn /
// on_message, which reach only the client's public calls), and settle() acts
// on what they noted once the outermost hiredis call has returned. Every entry
// from the loop holds a strong reference, so a handler that destroys the
// RedisClient only marks the Impl closed; it is freed when that entry returns.
class RedisClient::Impl : public std::enable_shared_from_this<RedisClient::Impl> {
 public:
  Impl(EventLoop& loop, RedisAddress address, RedisClientHandlers handlers, RedisClientOptions options)
      : loop_(loop),
        address_(std::move(address)),
        handlers_(std::move(handlers)),
        options_(clamped(options)),
        backoff_(backoff_config(options_), random_seed()) {}

  ~Impl() {
    closed_ = true;
    free_context();  // normally already done by shutdown()
  }

  void start() {
    if (closed_ || phase_ != Phase::Idle) return;
    retry_timer_ = after(0, &Impl::on_retry_timer);
    if (retry_timer_ != kNoTimer) phase_ = Phase::Waiting;
  }

  bool connected() const { return phase_ == Phase::Ready && ac_ != nullptr && !closed_; }

  bool command(std::vector<std::string>& argv, ReplyFn& on_reply) {
    if (!connected() || subscriber_ || argv.empty() || argv.size() > INT_MAX) return false;
    if (detail::hiredis_cannot_pair_replies(argv)) return false;
    size_t bytes = 0;
    for (const std::string& arg : argv) bytes += arg.size();
    if (pending_.size() >= options_.max_pending_commands) return false;
    if (bytes > options_.max_pending_bytes - pending_bytes_) return false;
    stage(argv);  // everything that can throw comes before hiredis has the command
    // Recorded before hiredis has it: once it does, its reply pops this entry.
    pending_.push_back(Pending{std::move(on_reply), bytes, Clock::now()});
    if (!submit_staged(&Impl::on_command_reply)) {
      pending_.pop_back();
      return false;
    }
    pending_bytes_ += bytes;
    arm_watchdog();
    return true;
  }

  bool subscribe(std::string_view channel) {
    if (channel.empty() || channel.size() > kMaxRedisChannelBytes) return false;
    subscriber_ = true;
    if (!channels_.emplace(channel).second) return true;
    if (link_up()) send_subscription("SUBSCRIBE", {std::string(channel)});
    return true;
  }

  bool unsubscribe(std::string_view channel) {
    if (channel.empty() || channel.size() > kMaxRedisChannelBytes) return false;
    const auto it = channels_.find(channel);
    if (it == channels_.end()) return true;
    std::string name = *it;
    channels_.erase(it);
    if (link_up()) send_subscription("UNSUBSCRIBE", {std::move(name)});
    return true;
  }

  size_t subscription_count() const { return channels_.size(); }

  Stats stats() const { return Stats{replies_, reconnects_, rtt_us_, pending_.size(), pending_bytes_}; }

  // The RedisClient is going away: no handler or ReplyFn runs from now on.
  void shutdown() {
    if (closed_) return;
    closed_ = true;
    for (TimerId* timer : {&retry_timer_, &connect_timer_, &watchdog_timer_}) cancel(*timer);
    free_context();  // if hiredis is on the stack, settle() does it once it returns
  }

 private:
  enum class Phase : uint8_t {
    Idle,        // start() not called yet
    Waiting,     // until the next connect attempt
    Connecting,  // TCP (or unix socket) connect in progress
    Handshake,   // connected; waiting for the PING reply or the SUBSCRIBE confirmations
    Ready,       // usable: connected() is true
  };

  struct Pending {
    ReplyFn on_reply;
    size_t bytes;
    Clock::time_point sent;
  };

  static core::BackoffConfig backoff_config(const RedisClientOptions& options) {
    core::BackoffConfig config;
    config.initial_delay_ms = options.reconnect_min_ms;
    config.max_delay_ms = options.reconnect_max_ms;
    config.decay = 2.0;
    // Never below min (Full jitter can be 0), and grows about 2x per failure.
    config.jitter = core::JitterMode::Decorrelated;
    config.max_attempts = 0;  // a server that comes back is always found again
    config.stable_after_ms = options.reconnect_max_ms;
    return config;
  }

  bool link_up() const { return ac_ != nullptr && (phase_ == Phase::Handshake || phase_ == Phase::Ready); }

  // ---- hiredis callbacks: they only take note (see the class comment) ----

  static Impl* impl_of(const redisAsyncContext* ac) { return static_cast<Impl*>(ac->data); }

  static void on_connect(const redisAsyncContext* ac, int status) {
    if (status == REDIS_OK) {
      impl_of(ac)->tcp_connected_ = true;
    } else {
      impl_of(ac)->note_loss("connect failed: ", ac->c.errstr);
    }
  }

  // REDIS_OK: we freed the context ourselves and already noted why.
  static void on_disconnect(const redisAsyncContext* ac, int status) {
    if (status != REDIS_OK) impl_of(ac)->note_loss("", ac->c.errstr);
  }

  static void on_command_reply(redisAsyncContext*, void* reply, void* privdata) {
    static_cast<Impl*>(privdata)->deliver(static_cast<const redisReply*>(reply));
  }

  static void on_ping_reply(redisAsyncContext*, void* reply, void* privdata) {
    Impl* self = static_cast<Impl*>(privdata);
    const auto* r = static_cast<const redisReply*>(reply);
    if (r == nullptr) return;  // the context is going away
    self->ping_pending_ = false;
    // An answer that is an error (NOAUTH, LOADING ...) means this server cannot serve us yet.
    if (r->type == REDIS_REPLY_ERROR) self->note_drop("PING refused: ", r->str);
  }

  // hiredis routes every pub/sub push for a channel here: confirmations of
  // SUBSCRIBE and UNSUBSCRIBE, and messages. NULL when the context goes away.
  static void on_subscription_reply(redisAsyncContext*, void* reply, void* privdata) {
    Impl* self = static_cast<Impl*>(privdata);
    const auto* r = static_cast<const redisReply*>(reply);
    if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const redisReply* kind = r->element[0];
    if (kind->type != REDIS_REPLY_STRING) return;
    const std::string_view name(kind->str, kind->len);
    if (name == "message") {
      const redisReply* channel = r->element[1];
      const redisReply* payload = r->element[2];
      if (channel->type == REDIS_REPLY_STRING && payload->type == REDIS_REPLY_STRING) {
        self->dispatch_message(std::string_view(channel->str, channel->len),
                               std::string_view(payload->str, payload->len));
      }
    } else if ((name == "subscribe" || name == "unsubscribe") && !self->confirmations_.empty()) {
      self->confirmations_.pop_front();  // the server confirms in the order it was asked
      const redisReply* channel = r->element[1];
      if (name == "subscribe" && channel->type == REDIS_REPLY_STRING) {
        self->dispatch_subscribed(std::string_view(channel->str, channel->len));
      }
    }
  }

  void note_loss(const char* prefix, const char* detail) noexcept {
    try {
      if (loss_reason_.empty()) loss_reason_ = std::string(prefix) + detail;
    } catch (...) {
    }
  }

  void note_drop(const char* prefix, const char* detail) noexcept {
    try {
      if (drop_reason_.empty()) drop_reason_ = std::string(prefix) + (detail != nullptr ? detail : "");
    } catch (...) {
      drop_reason_ = "out of memory";
    }
  }

  void deliver(const redisReply* reply) noexcept {
    if (pending_.empty()) return;  // cannot happen: hiredis answers commands in order
    Pending done = std::move(pending_.front());
    pending_.pop_front();
    pending_bytes_ -= done.bytes;
    if (reply != nullptr) {
      ++replies_;
      const double sample = std::chrono::duration<double, std::micro>(Clock::now() - done.sent).count();
      rtt_us_ = rtt_us_ == 0 ? sample : rtt_us_ + kRttGain * (sample - rtt_us_);
    }
    if (closed_ || !done.on_reply) return;
    RedisReply converted;
    try {
      if (reply != nullptr) converted = detail::to_redis_reply(*reply);
    } catch (...) {
      converted = RedisReply{};  // out of memory: reported as no reply rather than not at all
    }
    try {
      done.on_reply(std::move(converted));
    } catch (...) {
      // A throwing callback is a bug in it; it must not unwind through hiredis.
    }
  }

  void dispatch_subscribed(std::string_view channel) noexcept {
    if (closed_ || !handlers_.on_subscribed) return;
    try {
      handlers_.on_subscribed(channel);
    } catch (...) {
    }
  }

  void dispatch_message(std::string_view channel, std::string_view message) noexcept {
    if (closed_ || !handlers_.on_message) return;
    try {
      handlers_.on_message(channel, message);
    } catch (...) {
    }
  }

  // ---- acting, outside hiredis ----

  template <typename Call>
  void call_hiredis(Call&& call) {
    ++hiredis_depth_;
    call();
    if (--hiredis_depth_ == 0) settle();
  }

  void settle() {
    if (closed_) {
      free_context();
      return;
    }
    if (ac_ == nullptr) {
      if (phase_ == Phase::Connecting || phase_ == Phase::Handshake || phase_ == Phase::Ready) {
        std::string why = loss_reason_.empty() ? std::string("connection lost") : std::move(loss_reason_);
        connection_lost(why);
      }
      return;
    }
    if (!drop_reason_.empty()) {
      drop_connection(std::string(drop_reason_));
      return;
    }
    if (phase_ == Phase::Connecting && tcp_connected_ && !start_handshake()) {
      drop_connection("cannot send the first command");
      return;
    }
    if (phase_ == Phase::Handshake && !ping_pending_ && confirmations_.empty()) become_ready();
  }

  void handle_ready(HiredisSocketWatch::Readiness readiness) {
    redisAsyncContext* ac = ac_;
    if (ac == nullptr || closed_) return;
    call_hiredis([&] {
      if (readiness == HiredisSocketWatch::Readiness::Readable) {
        redisAsyncHandleRead(ac);
      } else {
        redisAsyncHandleWrite(ac);
      }
    });
  }

  void on_retry_timer() {
    retry_timer_ = kNoTimer;
    if (closed_ || phase_ != Phase::Waiting) return;
    phase_ = Phase::Connecting;
    std::string why;
    ac_ = open_context(why);
    if (ac_ == nullptr) {
      connection_lost(why);
      return;
    }
    connect_timer_ = after(options_.connect_timeout_ms, &Impl::on_connect_timeout);
  }

  redisAsyncContext* open_context(std::string& why) {
    HiredisSocketWatch::Callbacks callbacks;
    callbacks.on_ready = [weak = weak_from_this()](HiredisSocketWatch::Readiness readiness) {
      if (auto self = weak.lock()) self->handle_ready(readiness);
    };
    callbacks.on_wait_failed = [weak = weak_from_this(), generation = generation_](const std::string& failure) {
      if (auto self = weak.lock()) self->drop_later(generation, failure);
    };
    // Only ever runs inside a hiredis call this Impl makes, so `this` is alive.
    callbacks.on_cleanup = [this] { ac_ = nullptr; };
    detail::HiredisConnection opened = detail::open_hiredis_connection(
        detail::EventLoopAccess::io_context(loop_), address_, this, std::move(callbacks), why);
    if (opened.context == nullptr) return nullptr;
    watch_ = std::move(opened.watch);
    // The connect callback is set last: setting it asks for the first write
    // readiness, which is how hiredis learns the connect finished.
    redisAsyncSetConnectCallback(opened.context, &Impl::on_connect);
    redisAsyncSetDisconnectCallback(opened.context, &Impl::on_disconnect);
    return opened.context;
  }

  // One round trip before on_connected: proves the server answers (a paused
  // server still completes TCP handshakes), and re-subscribes.
  bool start_handshake() {
    phase_ = Phase::Handshake;
    if (channels_.empty()) {
      ping_pending_ = send({"PING"}, &Impl::on_ping_reply);
      return ping_pending_;
    }
    return send_subscription("SUBSCRIBE", std::vector<std::string>(channels_.begin(), channels_.end()));
  }

  // hiredis copies the arguments, so `argv` only has to outlive submit_staged().
  void stage(const std::vector<std::string>& argv) {
    argv_data_.clear();
    argv_sizes_.clear();
    for (const std::string& arg : argv) {
      argv_data_.push_back(arg.data());
      argv_sizes_.push_back(arg.size());
    }
  }

  bool submit_staged(redisCallbackFn* callback) noexcept {
    return redisAsyncCommandArgv(ac_, callback, this, static_cast<int>(argv_data_.size()), argv_data_.data(),
                                 argv_sizes_.data()) == REDIS_OK;
  }

  bool send(const std::vector<std::string>& argv, redisCallbackFn* callback) {
    stage(argv);
    return submit_staged(callback);
  }

  bool send_subscription(const char* verb, std::vector<std::string> channels) {
    const size_t count = channels.size();
    channels.insert(channels.begin(), verb);
    if (!send(channels, &Impl::on_subscription_reply)) return false;  // re-sent after the reconnect
    confirmations_.insert(confirmations_.end(), count, Clock::now());
    arm_watchdog();
    return true;
  }

  void become_ready() {
    cancel(connect_timer_);
    phase_ = Phase::Ready;
    backoff_.on_connected(loop_.now_ms());
    if (ever_ready_) ++reconnects_;
    ever_ready_ = true;
    arm_watchdog();
    if (closed_ || !handlers_.on_connected) return;
    try {
      handlers_.on_connected();
    } catch (...) {
    }
  }

  // Frees the live context: hiredis answers every pending command with NULL
  // (ReplyFns get Type::None), and settle() then reports the loss.
  void drop_connection(const std::string& why) {
    if (ac_ == nullptr || closed_ || hiredis_depth_ > 0) return;
    if (loss_reason_.empty()) loss_reason_ = why;
    drop_reason_.clear();
    redisAsyncContext* ac = ac_;
    call_hiredis([ac] { redisAsyncFree(ac); });
  }

  // From inside hiredis (or an Asio handler that may be): a drop must wait
  // for the loop, and must not hit a newer connection.
  void drop_later(uint64_t generation, const std::string& why) {
    loop_.post([weak = weak_from_this(), generation, why] {
      auto self = weak.lock();
      if (self && self->generation_ == generation) self->drop_connection(why);
    });
  }

  void connection_lost(const std::string& why) {
    const bool was_ready = phase_ == Phase::Ready;
    phase_ = Phase::Waiting;
    ++generation_;
    cancel(connect_timer_);
    cancel(watchdog_timer_);
    watch_.reset();  // a watch's own handler keeps it alive while it runs
    tcp_connected_ = false;
    ping_pending_ = false;
    confirmations_.clear();
    loss_reason_.clear();
    drop_reason_.clear();
    // hiredis has answered every command with NULL already; this only guards that promise.
    while (!pending_.empty()) deliver(nullptr);

    const int64_t now = loop_.now_ms();
    backoff_.handle_timeout(now);  // forgets earlier failures once a connection proved stable
    if (was_ready) backoff_.on_disconnected();
    retry_timer_ = after(backoff_.next_delay().value_or(options_.reconnect_max_ms), &Impl::on_retry_timer);

    if (closed_ || !handlers_.on_disconnected) return;
    try {
      handlers_.on_disconnected(why);
    } catch (...) {
    }
  }

  void on_connect_timeout() {
    connect_timer_ = kNoTimer;
    if (closed_ || ac_ == nullptr || phase_ == Phase::Ready) return;
    drop_connection("connect timed out after " + std::to_string(options_.connect_timeout_ms) + " ms" +
                    (tcp_connected_ ? " (connected, but no answer)" : ""));
  }

  // The command timeout: one timer, for the oldest unanswered request.
  std::optional<Clock::time_point> oldest_unanswered() const {
    std::optional<Clock::time_point> oldest;
    if (!pending_.empty()) oldest = pending_.front().sent;
    if (!confirmations_.empty() && (!oldest || confirmations_.front() < *oldest)) oldest = confirmations_.front();
    return oldest;
  }

  void arm_watchdog() {
    if (watchdog_timer_ != kNoTimer || closed_) return;
    const auto oldest = oldest_unanswered();
    if (!oldest) return;
    const auto remaining = *oldest + std::chrono::milliseconds(options_.command_timeout_ms) - Clock::now();
    const int64_t delay_ms = std::chrono::ceil<std::chrono::milliseconds>(remaining).count();
    watchdog_timer_ = after(std::max<int64_t>(delay_ms, 0), &Impl::on_watchdog);
  }

  void on_watchdog() {
    watchdog_timer_ = kNoTimer;
    if (closed_ || ac_ == nullptr) return;
    const auto oldest = oldest_unanswered();
    if (oldest && Clock::now() - *oldest >= std::chrono::milliseconds(options_.command_timeout_ms)) {
      drop_connection("no reply from redis within " + std::to_string(options_.command_timeout_ms) + " ms");
      return;
    }
    arm_watchdog();
  }

  void free_context() {
    if (ac_ == nullptr || hiredis_depth_ > 0) return;
    redisAsyncContext* ac = ac_;
    ++hiredis_depth_;  // callbacks only take note; closed_ silences them
    redisAsyncFree(ac);
    --hiredis_depth_;
    ac_ = nullptr;
    watch_.reset();
  }

  TimerId after(int64_t delay_ms, void (Impl::*action)()) {
    return loop_.set_timer(delay_ms, [weak = weak_from_this(), action] {
      if (auto self = weak.lock()) ((*self).*action)();
    });
  }

  void cancel(TimerId& timer) {
    loop_.cancel_timer(timer);
    timer = kNoTimer;
  }

  EventLoop& loop_;
  const RedisAddress address_;
  const RedisClientHandlers handlers_;
  const RedisClientOptions options_;
  core::ReconnectBackoff backoff_;

  Phase phase_ = Phase::Idle;
  bool closed_ = false;         // the RedisClient is gone: call nothing of the user's
  redisAsyncContext* ac_ = nullptr;  // the live context; cleared by hiredis's cleanup hook
  std::shared_ptr<HiredisSocketWatch> watch_;
  int hiredis_depth_ = 0;       // > 0 while a hiredis call that may call back is on the stack
  uint64_t generation_ = 0;     // bumped per lost connection, so stale drops miss the next one
  bool tcp_connected_ = false;  // noted by on_connect; settle() then starts the handshake
  bool ping_pending_ = false;
  std::string loss_reason_;     // why the context went away, for on_disconnected
  std::string drop_reason_;     // noted inside hiredis: drop the connection once out of it

  std::deque<Pending> pending_;                  // commands in the order hiredis will answer them
  size_t pending_bytes_ = 0;
  std::deque<Clock::time_point> confirmations_;  // one per channel in each SUBSCRIBE/UNSUBSCRIBE sent
  std::set<std::string, std::less<>> channels_;
  bool subscriber_ = false;
  std::vector<const char*> argv_data_;  // reused by send()
  std::vector<size_t> argv_sizes_;

  TimerId retry_timer_ = kNoTimer;
  TimerId connect_timer_ = kNoTimer;
  TimerId watchdog_timer_ = kNoTimer;
  bool ever_ready_ = false;
  uint64_t replies_ = 0;
  uint64_t reconnects_ = 0;
  double rtt_us_ = 0;
};

RedisClient::RedisClient(EventLoop& loop, RedisAddress address, RedisClientHandlers handlers,
                         RedisClientOptions options) {
  try {
    impl_ = std::make_shared<Impl>(loop, std::move(address), std::move(handlers), options);
  } catch (...) {
    impl_.reset();  // every call then fails harmlessly
  }
}

RedisClient::~RedisClient() {
  if (impl_) impl_->shutdown();
}

void RedisClient::start() noexcept {
  try {
    if (impl_) impl_->start();
  } catch (...) {
    // Out of memory before the first attempt: start() may be called again.
  }
}

bool RedisClient::connected() const noexcept { return impl_ && impl_->connected(); }

bool RedisClient::command(std::vector<std::string> argv, ReplyFn on_reply) noexcept {
  try {
    return impl_ && impl_->command(argv, on_reply);
  } catch (...) {
    return false;
  }
}

bool RedisClient::subscribe(std::string_view channel) noexcept {
  try {
    return impl_ && impl_->subscribe(channel);
  } catch (...) {
    return false;
  }
}

bool RedisClient::unsubscribe(std::string_view channel) noexcept {
  try {
    return impl_ && impl_->unsubscribe(channel);
  } catch (...) {
    return false;
  }
}

size_t RedisClient::subscription_count() const noexcept { return impl_ ? impl_->subscription_count() : 0; }

RedisClient::Stats RedisClient::stats() const noexcept { return impl_ ? impl_->stats() : Stats{}; }

}  // namespace tether::transport
