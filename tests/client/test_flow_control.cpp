// A host that stops pumping, against the real tether-server: inbound pauses
// at the pending-event limits (count or bytes), reliable messages wait on the
// server and arrive exactly once and in order after the drain, nobody is
// dropped as a slow consumer, and the event buffers give their memory back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "client/event_buffer.h"
#include "engine_driver.h"
#include "server_process.h"
#include "tokens.h"

using namespace tether::test;
using namespace tether::test_support;
using tether::client::PendingEventStats;
using tether::core::SendStatus;

namespace {

using Clock = std::chrono::steady_clock;

ServerProcess start_server(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--jwt-secret", kTestSecret};
  args.insert(args.end(), extra.begin(), extra.end());
  return ServerProcess(kServerBinary, args);
}

// {"n":N} or {"n":N,"pad":"xxx..."}.
std::string numbered(uint64_t n, size_t pad = 0) {
  std::string json = "{\"n\":" + std::to_string(n);
  if (pad > 0) json += ",\"pad\":\"" + std::string(pad, 'x') + "\"";
  return json + "}";
}

uint64_t number_of(const std::string& json) { return std::stoull(json.substr(5)); }

int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Bytes the allocator has handed out and not taken back (all threads).
size_t heap_in_use() {
#if defined(__GLIBC__)
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#else
  return 0;
#endif
}

double mib(size_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

std::unique_ptr<Engine> make_engine(const EngineConfig& config) {
  std::string error;
  std::unique_ptr<Engine> engine = Engine::create(config, &error);
  INFO(error);
  REQUIRE(engine);
  return engine;
}

// A game host: pumps once per frame and tallies what it sees, keeping no
// copies (so the heap shows the engine's memory, not the test's).
struct Host {
  explicit Host(Engine& e) : engine(e) {}

  size_t pump() {
    const size_t n = engine.pump();
    for (size_t i = 0; i < n; ++i) {
      const EngineEvent& e = engine.event(i);
      if (e.kind != EngineEvent::Kind::Session) continue;
      const ClientEvent& s = e.session;
      if (s.kind == ClientEvent::Kind::Message) record(number_of(s.data));
      if (s.kind == ClientEvent::Kind::Subscribed) ++subscribed;
      if (s.kind == ClientEvent::Kind::Acked) ++acked;
      if (s.kind == ClientEvent::Kind::SendFailed) ++send_failed;
      if (s.kind == ClientEvent::Kind::StateChanged && s.state == ClientState::Backoff) {
        ++disconnects;
        if (s.close_code == 4008) ++slow_consumer_closes;
      }
    }
    most_in_one_pump = std::max(most_in_one_pump, n);
    return n;
  }
  void record(uint64_t n) {
    if (n < next) {
      ++duplicates;
      return;
    }
    if (n > next) ++out_of_order;
    next = n + 1;
    ++received;
  }
  bool wait(const std::function<bool()>& done, int64_t timeout_ms, int64_t frame_ms = 2) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      pump();
      if (done()) return true;
      if (Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(frame_ms));
    }
  }

  Engine& engine;
  uint64_t next = 0;  // the number expected next
  uint64_t received = 0;
  uint64_t duplicates = 0;
  uint64_t out_of_order = 0;
  size_t subscribed = 0;
  size_t acked = 0;
  size_t send_failed = 0;
  size_t disconnects = 0;
  size_t slow_consumer_closes = 0;
  size_t most_in_one_pump = 0;
};

// Connects `engine` subscribed to `channel`, pumping until the server confirms.
void subscribe_and_connect(Host& host, const std::string& channel) {
  REQUIRE(host.engine.subscribe(channel) == SendStatus::Ok);
  host.engine.connect();
  REQUIRE(host.wait([&] { return host.subscribed == 1; }, kWaitMs));
}

void connect(Host& host) {
  host.engine.connect();
  REQUIRE(host.wait([&] { return host.engine.pool_stats().state == ClientState::Ready; }, kWaitMs));
}

void print_pending(const char* label, const PendingEventStats& s) {
  std::printf("  %s: pending events=%zu bytes=%zu | high water events=%zu bytes=%zu | pauses=%llu | "
              "buffer slots=%zu retained text=%zu\n",
              label, s.events, s.bytes, s.high_water_events, s.high_water_bytes,
              static_cast<unsigned long long>(s.pauses), s.buffer_slots, s.retained_bytes);
}

}  // namespace

TEST_CASE("a host paused 60 s while 200 msg/s arrive gets all 12,000 reliable messages once, in order",
          "[client][integration][flow][slow]") {
  constexpr uint64_t kMessages = 12000;
  constexpr int64_t kPauseMs = 60000;
  ServerProcess server = start_server();
  REQUIRE(server.start());

  EngineConfig paused_config = engine_config(server.url(), mint_token("paused"));
  paused_config.max_pending_events = 1000;
  // A minute on a loaded machine: a heartbeat slack enough never to fail it.
  paused_config.session.heartbeat.interval_ms = 5000;
  paused_config.session.heartbeat.timeout_ms = 4000;
  std::unique_ptr<Engine> paused_engine = make_engine(paused_config);
  Host paused(*paused_engine);
  subscribe_and_connect(paused, "flow");
  std::unique_ptr<Engine> publisher_engine = make_engine(engine_config(server.url(), mint_token("publisher")));
  Host publisher(*publisher_engine);
  connect(publisher);

  // The host stops pumping; a second client publishes 200 reliable messages
  // a second for 60 s. The publisher keeps pumping, like any live game.
  const auto start = Clock::now();
  uint64_t sent = 0;
  while (sent < kMessages) {
    const uint64_t due = std::min<uint64_t>(kMessages, static_cast<uint64_t>(ms_since(start)) * kMessages / kPauseMs + 1);
    while (sent < due) {
      const SendStatus status = publisher.engine.send("flow", numbered(sent), true, nullptr);
      if (status == SendStatus::QueueFull) break;  // the next frame retries it
      REQUIRE(status == SendStatus::Ok);
      ++sent;
    }
    publisher.pump();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int64_t publish_ms = ms_since(start);
  const PendingEventStats while_paused = paused.engine.pending_event_stats();
  const tether::client::ConnectionStats paused_stats = paused.engine.pool_stats();
  const size_t heap_paused = heap_in_use();
  CHECK(paused.received == 0);
  CHECK(while_paused.pauses >= 1);
  CHECK(while_paused.events >= paused_config.max_pending_events);  // paused at the count limit
  // tether.h: passed by at most one frame (4096 messages) and what it
  // releases from the receive window.
  CHECK(while_paused.high_water_events <=
        paused_config.max_pending_events + 4096 + paused_config.session.receive_window);
  CHECK(paused_stats.deferred_reliable > 0);                        // the server kept offering, in vain
  CHECK(paused_stats.state == ClientState::Ready);
  CHECK(paused_stats.reconnects == 0);

  // The host pumps again, 500 frames a second, until everything is there.
  const auto drain_start = Clock::now();
  REQUIRE(paused.wait(
      [&] {
        publisher.pump();
        return paused.received >= kMessages;
      },
      240000));
  const int64_t drain_ms = ms_since(drain_start);
  REQUIRE(publisher.wait([&] { return publisher.acked + publisher.send_failed >= kMessages; }, kWaitMs));

  const PendingEventStats drained = paused.engine.pending_event_stats();
  CHECK(paused.received == kMessages);
  CHECK(paused.duplicates == 0);
  CHECK(paused.out_of_order == 0);
  CHECK(paused.next == kMessages);
  CHECK(publisher.acked == kMessages);
  CHECK(publisher.send_failed == 0);
  CHECK(paused.disconnects == 0);
  CHECK(paused.slow_consumer_closes == 0);
  CHECK(paused.engine.pool_stats().reconnects == 0);
  CHECK_FALSE(server.log_contains("slow consumer"));
  CHECK(drained.high_water_bytes < paused_config.max_pending_event_bytes);

  // Quiet frames: the backlog's buffers go back to a working size.
  const size_t heap_drained = heap_in_use();
  for (int frame = 0; frame < 300; ++frame) {
    paused.pump();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const PendingEventStats settled = paused.engine.pending_event_stats();
  CHECK(settled.buffer_slots <= 2 * tether::client::EventBufferTrimmer::kMinKeptSlots);

  std::printf("paused 60 s at 200 msg/s: published %llu in %.1f s, drained in %.1f s; received=%llu "
              "duplicates=%llu out_of_order=%llu reconnects=%llu deferred_reliable=%llu most_in_one_pump=%zu\n",
              static_cast<unsigned long long>(sent), publish_ms / 1000.0, drain_ms / 1000.0,
              static_cast<unsigned long long>(paused.received), static_cast<unsigned long long>(paused.duplicates),
              static_cast<unsigned long long>(paused.out_of_order),
              static_cast<unsigned long long>(paused.engine.pool_stats().reconnects),
              static_cast<unsigned long long>(paused.engine.pool_stats().deferred_reliable), paused.most_in_one_pump);
  print_pending("while paused", while_paused);
  print_pending("after drain", drained);
  print_pending("after 300 quiet frames", settled);
  std::printf("  heap in use: paused %.1f MiB, drained %.1f MiB, settled %.1f MiB\n", mib(heap_paused),
              mib(heap_drained), mib(heap_in_use()));
}

TEST_CASE("the byte limit, not the count, pauses inbound, pending bytes stay bounded, all arrive after the drain",
          "[client][integration][flow]") {
  constexpr uint64_t kMessages = 200;
  constexpr size_t kPad = 16000;          // ~16 KB a message, 3.2 MB in all
  constexpr size_t kFrameBytes = 131072;  // the server's frames, so one frame is small next to the total
  constexpr uint32_t kWindow = 64;        // what a reorder buffer may hand over at once (1 MB)
  ServerProcess server = start_server({"--max-message-size", std::to_string(kFrameBytes)});
  REQUIRE(server.start());

  EngineConfig paused_config = engine_config(server.url(), mint_token("paused"));
  paused_config.max_pending_events = 100000;  // never the reason
  paused_config.max_pending_event_bytes = 65536;
  paused_config.session.receive_window = kWindow;  // the server honours it
  paused_config.session.limits.max_frame_bytes = kFrameBytes;
  std::unique_ptr<Engine> paused_engine = make_engine(paused_config);
  Host paused(*paused_engine);
  subscribe_and_connect(paused, "big");
  EngineConfig publisher_config = engine_config(server.url(), mint_token("publisher"));
  publisher_config.session.limits.max_frame_bytes = kFrameBytes;
  std::unique_ptr<Engine> publisher_engine = make_engine(publisher_config);
  Host publisher(*publisher_engine);
  connect(publisher);

  // The host stops pumping while every message reaches the server.
  for (uint64_t n = 0; n < kMessages; ++n) REQUIRE(publisher.engine.send("big", numbered(n, kPad), true, nullptr) == SendStatus::Ok);
  REQUIRE(publisher.wait([&] { return publisher.acked == kMessages; }, kWaitMs));
  // The client turns away what the server keeps offering.
  const auto deadline = Clock::now() + std::chrono::milliseconds(kWaitMs);
  while (paused.engine.pool_stats().deferred_reliable == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const PendingEventStats while_paused = paused.engine.pending_event_stats();
  CHECK(paused.engine.pool_stats().deferred_reliable > 0);
  CHECK(while_paused.pauses >= 1);
  CHECK(while_paused.events < 100);  // far from the count limit
  CHECK(while_paused.bytes >= paused_config.max_pending_event_bytes);
  // At most the frame that crossed the limit lands on top of it.
  CHECK(while_paused.high_water_bytes <= paused_config.max_pending_event_bytes + kFrameBytes);

  // Draining, one frame may also release a reorder buffer of up to a window.
  const auto drain_start = Clock::now();
  REQUIRE(paused.wait([&] { return paused.received >= kMessages; }, 120000));
  const int64_t drain_ms = ms_since(drain_start);
  const PendingEventStats drained = paused.engine.pending_event_stats();
  const size_t message_bytes = numbered(0, kPad).size() + std::string("big").size() + 4;  // + digits of n
  const size_t bound = paused_config.max_pending_event_bytes + kFrameBytes + kWindow * message_bytes;
  CHECK(paused.received == kMessages);
  CHECK(paused.duplicates == 0);
  CHECK(paused.out_of_order == 0);
  CHECK(paused.disconnects == 0);
  CHECK(paused.engine.pool_stats().reconnects == 0);
  CHECK(drained.high_water_held_bytes <= kWindow * message_bytes);
  CHECK(drained.high_water_bytes <= bound);
  CHECK(bound < kMessages * message_bytes / 2);  // bounded well below what was sent
  CHECK_FALSE(server.log_contains("slow consumer"));

  std::printf("byte limit 64 KiB, window %u, %llu x 16 KB: drained in %.1f s, deferred_reliable=%llu, "
              "reorder-held high water=%zu bytes\n",
              kWindow, static_cast<unsigned long long>(kMessages), drain_ms / 1000.0,
              static_cast<unsigned long long>(paused.engine.pool_stats().deferred_reliable),
              drained.high_water_held_bytes);
  print_pending("while paused", while_paused);
  print_pending("after drain", drained);
}

TEST_CASE("after a backlog drains the event buffers give their memory back", "[client][integration][flow]") {
  constexpr uint64_t kMessages = 20000;
  ServerProcess server = start_server();
  REQUIRE(server.start());
  std::unique_ptr<Engine> paused_engine = make_engine(engine_config(server.url(), mint_token("paused")));
  Host paused(*paused_engine);
  subscribe_and_connect(paused, "backlog");
  std::unique_ptr<Engine> publisher_engine = make_engine(engine_config(server.url(), mint_token("publisher")));
  Host publisher(*publisher_engine);
  connect(publisher);
  // Settle the steady-state buffers before measuring.
  for (int frame = 0; frame < 20; ++frame) {
    paused.pump();
    publisher.pump();
  }
  const size_t heap_before = heap_in_use();

  // A backlog under both limits: nothing pauses, everything piles up.
  uint64_t sent = 0;
  REQUIRE(publisher.wait(
      [&] {
        while (sent < kMessages && publisher.engine.send("backlog", numbered(sent, 100), true, nullptr) == SendStatus::Ok) {
          ++sent;
        }
        return sent == kMessages && publisher.acked == kMessages;
      },
      60000, 1));
  const auto deadline = Clock::now() + std::chrono::milliseconds(kWaitMs);
  while (paused.engine.pending_event_stats().events < kMessages && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const PendingEventStats peak = paused.engine.pending_event_stats();
  const size_t heap_peak = heap_in_use();
  REQUIRE(peak.events >= kMessages);
  CHECK(peak.pauses == 0);

  paused.pump();  // the whole backlog at once
  CHECK(paused.received == kMessages);
  // A second of frames at 300 fps with nothing new.
  for (int frame = 0; frame < 300; ++frame) {
    paused.pump();
    publisher.pump();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
  const PendingEventStats settled = paused.engine.pending_event_stats();
  const size_t heap_after = heap_in_use();
  CHECK(paused.received == kMessages);
  CHECK(paused.duplicates == 0);
  CHECK(peak.buffer_slots >= kMessages);
  CHECK(settled.buffer_slots <= 2 * tether::client::EventBufferTrimmer::kMinKeptSlots);
  CHECK(settled.retained_bytes <= tether::client::EventBufferTrimmer::kMinKeptBytes);
  if (heap_before > 0) {
    // Most of what the backlog took is back (the allocator, other threads
    // and the session's own buffers keep some).
    CHECK(heap_after < heap_before + (heap_peak - heap_before) / 4);
  }
  std::printf("backlog of %llu: heap in use before %.1f MiB, at peak %.1f MiB (+%.1f), after drain %.1f MiB (+%.1f)\n",
              static_cast<unsigned long long>(kMessages), mib(heap_before), mib(heap_peak),
              mib(heap_peak - heap_before), mib(heap_after),
              heap_after > heap_before ? mib(heap_after - heap_before) : -mib(heap_before - heap_after));
  print_pending("peak", peak);
  print_pending("settled", settled);
}
