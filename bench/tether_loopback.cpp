#include "tether_loopback.h"

#include <cstdio>
#include <future>
#include <utility>

#include "allocation_counter.h"
#include "core/jwt.h"
#include "pinning.h"
#include "server/server.h"

namespace tether::bench {

namespace {

using client::EngineEvent;
using core::ClientEvent;

constexpr const char* kChannel = "bench";
constexpr auto kConnectTimeout = std::chrono::seconds(5);
// Longer than nearly every loopback round trip: if no ack came for this
// long, ask the engine whether it still waits for one.
constexpr auto kAckSilence = std::chrono::milliseconds(5);

const ClientEvent* session_event(const client::Engine& engine, size_t index) {
  const EngineEvent& event = engine.event(index);
  return event.kind == EngineEvent::Kind::Session ? &event.session : nullptr;
}

// Engine logs and transport failures explain a failed setup; show them.
void print_diagnostic(const EngineEvent& event) {
  if (event.kind == EngineEvent::Kind::Session) return;
  std::fprintf(stderr, "engine: %s %s\n", event.session.code.c_str(), event.session.reason.c_str());
}

int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint64_t AckTracker::on_acked(uint64_t message_id) {
  if (message_id <= last_acked_) {
    ++repeated_;
    return 0;
  }
  const uint64_t resolved = message_id - last_acked_;
  missed_ += resolved - 1;
  last_acked_ = message_id;
  return resolved;
}

std::string mint_bench_token(const std::string& jwt_secret) {
  core::TokenClaims claims;
  claims.subject = "bench";
  claims.permissions = {"publish:*", "subscribe:*"};
  claims.issued_at_ms = unix_now_ms();
  claims.expires_at_ms = claims.issued_at_ms + 60 * 60 * 1000;
  return core::sign_hs256(claims, jwt_secret);
}

// ---- TetherServerThread ------------------------------------------------------

TetherServerThread::~TetherServerThread() {
  loop_.stop();
  if (thread_.joinable()) thread_.join();
}

bool TetherServerThread::start(const std::string& jwt_secret, std::string* error) {
  std::promise<transport::ListenResult> listening;
  std::future<transport::ListenResult> result = listening.get_future();
  thread_ = std::thread([this, jwt_secret, listening = std::move(listening)]() mutable {
    pin_server_thread();
    server::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.jwt_secret = jwt_secret;
    options.log = [](std::string_view) {};  // one line per connection is noise here
    // The Server must live and die on its loop's thread.
    server::Server server(loop_, std::move(options));
    const transport::ListenResult started = server.start();
    listening.set_value(started);
    if (started.ok()) loop_.run();
  });
  const transport::ListenResult started = result.get();
  if (!started.ok()) {
    *error = "tether server listen: " + started.detail;
    return false;
  }
  port_ = started.port;
  return true;
}

// ---- TetherDriver ------------------------------------------------------------

bool TetherDriver::connect(uint16_t port, const std::string& token, std::string* error) {
  client::EngineConfig config;
  config.urls = {"ws://127.0.0.1:" + std::to_string(port)};
  config.session.token = token;
  config.seed = 1;  // repeatable jitter
  engine_ = client::Engine::create(std::move(config), error);
  if (!engine_) return false;
  engine_->connect();
  const Clock::time_point deadline = Clock::now() + kConnectTimeout;
  while (Clock::now() < deadline) {
    const size_t count = engine_->pump();
    for (size_t i = 0; i < count; ++i) {
      print_diagnostic(engine_->event(i));
      const ClientEvent* event = session_event(*engine_, i);
      if (event == nullptr) continue;
      if (event->kind == ClientEvent::Kind::AuthOk) return true;
      if (event->kind == ClientEvent::Kind::AuthFailed) {
        *error = "tether auth failed: " + event->code;
        return false;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  *error = "tether client did not become ready";
  return false;
}

bool TetherDriver::send(const std::string& payload, std::string* error) {
  uint64_t message_id = 0;
  const core::SendStatus status = engine_->send(kChannel, payload, true, &message_id);
  if (status != core::SendStatus::Ok) {
    *error = std::string("tether send: ") + core::send_status_name(status);
    return false;
  }
  acks_.on_sent(message_id);
  return true;
}

bool TetherDriver::take_events(size_t count, std::string* error) {
  for (size_t i = 0; i < count; ++i) {
    const ClientEvent* event = session_event(*engine_, i);
    if (event == nullptr) continue;
    if (event->kind == ClientEvent::Kind::Acked) {
      acks_.on_acked(event->message_id);
    } else if (event->kind == ClientEvent::Kind::SendFailed && event->message_id > acks_.last_acked()) {
      *error = std::string("tether send failed: ") + core::send_outcome_name(event->outcome);
      return false;
    }
  }
  return true;
}

TetherDriver::Settle TetherDriver::settle_if_engine_idle(std::string* error) {
  const client::ConnectionStats stats = engine_->pool_stats();
  if (stats.pending_acks != 0 || stats.queued != 0) return Settle::Busy;
  // The engine queues an Acked event in the same locked step that resolves
  // the send, so one more pump() shows whatever is still due; what it does
  // not show was lost.
  if (!take_events(engine_->pump(), error)) return Settle::Failed;
  acks_.settle_missed();
  return Settle::Settled;
}

bool TetherDriver::run_throughput(const std::string& payload, uint32_t window, const PhaseLimits& limits,
                                  ThroughputResult* result, PumpAllocations* allocations, std::string* error) {
  client::Engine& engine = *engine_;
  *result = {};
  *allocations = {};
  const uint64_t first_acked = acks_.last_acked();
  uint64_t sent = 0;
  bool stopping = false;
  const Clock::time_point started = Clock::now();
  const double cpu_started = process_cpu_seconds();
  const Clock::time_point deadline = started + limits.max_duration;
  Clock::time_point drain_deadline;
  Clock::time_point last_progress = started;
  for (;;) {
    const Clock::time_point now = Clock::now();
    const uint64_t acked = acks_.last_acked() - first_acked;
    if (!stopping && (acked >= limits.max_messages || now >= deadline)) {
      stopping = true;
      result->messages = acked;
      result->seconds = std::chrono::duration<double>(now - started).count();
      result->cpu_seconds = process_cpu_seconds() - cpu_started;
      drain_deadline = now + kDrainTimeout;
    }
    // Drained: nothing of this phase is left to arrive during the next one.
    if (stopping && acks_.outstanding() == 0) return true;
    if (acks_.outstanding() > 0 && now - last_progress > kAckSilence) {
      const Settle settle = settle_if_engine_idle(error);
      if (settle == Settle::Failed) return false;
      last_progress = now;  // ask again only after another silence
      if (settle == Settle::Settled) continue;
    }
    if (stopping && now >= drain_deadline) {
      *error = "tether: " + std::to_string(acks_.outstanding()) + " reliable sends never resolved";
      return false;
    }
    while (!stopping && acks_.outstanding() < window && sent < limits.max_messages) {
      if (!send(payload, error)) return false;
      ++sent;
    }
    const uint64_t allocations_before = thread_allocations();
    const size_t count = engine.pump();
    allocations->allocations += thread_allocations() - allocations_before;
    // A tight loop, as a game's may be: pump() itself gives the core away
    // when it sees one, so the io and server threads are not starved.
    if (count == 0) continue;
    ++allocations->pumps;
    last_progress = now;
    if (!take_events(count, error)) return false;
  }
}

bool TetherDriver::run_pings(const std::string& payload, const PhaseLimits& limits, RttSamples* samples,
                             std::string* error) {
  // An application-level round trip: the message goes to the server, which
  // delivers it and answers with an ack, and the host sees the Acked event.
  // So it includes the engine's hop between host and io thread both ways,
  // which a raw echo does not have; that is the cost being measured.
  client::Engine& engine = *engine_;
  const size_t wanted = samples->microseconds.size() + limits.max_messages;
  samples->microseconds.reserve(wanted);
  const Clock::time_point deadline = Clock::now() + limits.max_duration;
  while (samples->microseconds.size() < wanted && Clock::now() < deadline) {
    const Clock::time_point sent_at = Clock::now();
    if (!send(payload, error)) return false;
    const uint64_t missed_before = acks_.missed_events();
    Clock::time_point next_check = sent_at + kAckSilence;
    // A pure spin on pump(), which yields by itself in a tight loop. Without
    // that, the spin took a whole core of two from the io and server threads:
    // same p50, but p99 105-1460 us instead of 57-62 us.
    while (acks_.outstanding() > 0) {
      const size_t count = engine.pump();
      if (count > 0) {
        if (!take_events(count, error)) return false;
        continue;
      }
      const Clock::time_point now = Clock::now();
      if (now < next_check) continue;
      if (settle_if_engine_idle(error) == Settle::Failed) return false;
      next_check = now + kAckSilence;
      if (now - sent_at > kDrainTimeout) {
        *error = "tether: no ack within the drain timeout";
        return false;
      }
    }
    // A lost Acked event leaves no time to measure: no sample.
    if (acks_.missed_events() == missed_before) {
      samples->microseconds.push_back(microseconds_between(sent_at, Clock::now()));
    }
  }
  return true;
}

}  // namespace tether::bench
