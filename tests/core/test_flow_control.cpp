// Server-side flow control in virtual time: the server honours the window a
// client names in auth, backs off its resends instead of giving up on a
// client that stops reading, and bounds what it holds per session in bytes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/reliable_sender.h"
#include "sim_pair.h"

using namespace tether::core;
using tether::test::SimPair;

namespace {

std::vector<TransmitView> transmit_all(ReliableSender& s, TimeMs now) {
  std::vector<TransmitView> out;
  TransmitView v;
  while (s.next_transmit(now, v)) out.push_back(v);
  return out;
}

std::vector<uint64_t> delivered_numbers(const std::vector<ClientEvent>& events) {
  std::vector<uint64_t> out;
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::Message) out.push_back(std::stoull(e.data));
  }
  return out;
}

ReliableConfig backoff_config() {
  ReliableConfig c;
  c.ack_timeout_ms = 100;
  c.ack_backoff = 2;
  c.max_ack_timeout_ms = 800;
  c.retry_forever = true;
  c.max_retries = 1;  // ignored: retry_forever
  return c;
}

}  // namespace

TEST_CASE("the server keeps at most the client's auth window of reliable messages in flight",
          "[core][flow]") {
  auto client_config = tether::test::default_client_config();
  client_config.receive_window = 2;  // sent as `window` in auth
  SimPair p(client_config);
  p.connect();
  REQUIRE(p.run_until([&] { return p.client.state() == ClientState::Ready; }, 10000));
  const std::shared_ptr<SessionState> state = p.server()->state();
  REQUIRE(state != nullptr);
  CHECK(state->sender.in_flight_limit() == 2);

  // The host stops pumping: the client neither delivers nor acks.
  p.client.set_inbound_paused(true);
  constexpr uint64_t kMessages = 20;
  for (uint64_t n = 1; n <= kMessages; ++n) REQUIRE(state->enqueue("feed", std::to_string(n), true, 0));

  size_t most_in_flight = 0;
  uint64_t most_seq_span = 0;
  auto watch = [&] {
    most_in_flight = std::max(most_in_flight, state->sender.in_flight());
    most_seq_span = std::max(most_seq_span, state->sender.next_seq() - state->sender.lowest_unresolved_seq());
  };
  // A minute of virtual time, watched at every step: the client pings, so it
  // stays connected; nothing is failed, nothing beyond the window is sent.
  const TimeMs pause_end = p.now + 60000;
  while (p.now < pause_end) {
    p.advance(50);
    watch();
  }
  const uint64_t retransmissions_while_paused = state->sender.retransmissions();
  CHECK(most_in_flight == 2);
  CHECK(most_seq_span == 2);
  CHECK(state->sender.next_seq() == 3);  // only sequences 1 and 2 ever left
  CHECK(state->sender.queued_messages() == kMessages - 2);
  CHECK(state->failed == 0);
  CHECK(p.client.state() == ClientState::Ready);
  CHECK(p.client.counters().deferred_reliable > 0);
  CHECK(p.client.counters().reconnects == 0);
  // Resends back off (400 ms doubling to 30 s, plus one probe of the oldest
  // per ping): far fewer than a fixed 400 ms timer's 2 x 150.
  CHECK(retransmissions_while_paused < 100);

  // The host pumps again: everything arrives once, in order, still window-limited.
  p.client.set_inbound_paused(false);
  REQUIRE(p.run_until(
      [&] {
        watch();
        state->drain_resolutions();
        return state->delivered == kMessages;
      },
      120000));
  const std::vector<uint64_t> got = delivered_numbers(p.client_events);
  std::vector<uint64_t> expected(kMessages);
  for (uint64_t n = 0; n < kMessages; ++n) expected[n] = n + 1;
  CHECK(got == expected);
  CHECK(most_in_flight == 2);
  CHECK(state->failed == 0);
  CHECK(p.cuts == 0);
  std::printf("window 2: paused 60 s, retransmissions while paused=%llu, delivered=%zu after %.1f s more\n",
              static_cast<unsigned long long>(retransmissions_while_paused), got.size(),
              (p.now - pause_end) / 1000.0);
}

TEST_CASE("without a window in auth the server's own in-flight limit applies", "[core][flow]") {
  ReliableConfig c = backoff_config();
  c.max_in_flight = 3;
  ReliableSender s(c);
  for (uint64_t i = 1; i <= 10; ++i) REQUIRE(s.enqueue(i, "c", "1", true, 0) == ReliableSender::EnqueueResult::Ok);
  s.activate(false, 0);
  CHECK(transmit_all(s, 0).size() == 3);
  s.set_peer_window(100);  // a larger window never raises the server's limit
  CHECK(s.in_flight_limit() == 3);
  s.set_peer_window(1);
  CHECK(s.in_flight_limit() == 1);
}

TEST_CASE("resends back off up to a cap and never give up when retry_forever is set", "[core][flow]") {
  ReliableSender s(backoff_config());
  REQUIRE(s.enqueue(7, "c", "x", true, 0) == ReliableSender::EnqueueResult::Ok);
  s.activate(false, 0);
  REQUIRE(transmit_all(s, 0).size() == 1);
  // Deadlines: 100, then 200, 400, 800, 800, ... after each resend.
  std::vector<TimeMs> resend_times;
  for (TimeMs now = 0; now <= 5000; now += 10) {
    s.handle_timeout(now);
    if (!transmit_all(s, now).empty()) resend_times.push_back(now);
  }
  REQUIRE(resend_times.size() >= 5);
  CHECK(resend_times[0] == 100);
  CHECK(resend_times[1] == 300);
  CHECK(resend_times[2] == 700);
  CHECK(resend_times[3] == 1500);
  CHECK(resend_times[4] == 2300);
  SendResolution r;
  CHECK_FALSE(s.poll_resolution(r));  // nothing timed out
  CHECK(s.in_flight() == 1);
}

TEST_CASE("an ack that makes progress restarts the backoff, a ping probes the oldest message", "[core][flow]") {
  ReliableSender s(backoff_config());
  for (uint64_t i = 1; i <= 3; ++i) REQUIRE(s.enqueue(i, "c", "x", true, 0) == ReliableSender::EnqueueResult::Ok);
  s.activate(false, 0);
  REQUIRE(transmit_all(s, 0).size() == 3);
  // Backed off: resends at 100, 300, 700; the next deadline is 1500.
  for (TimeMs now : {100, 300, 700}) {
    s.handle_timeout(now);
    REQUIRE(transmit_all(s, now).size() == 3);
  }
  CHECK(s.next_timeout() == 1500);

  SECTION("a ping at 900 resends only the oldest, now") {
    s.probe(900);
    s.handle_timeout(900);
    const auto sent = transmit_all(s, 900);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].seq == 1);
    // Too soon after the last send: no second probe.
    s.probe(950);
    s.handle_timeout(950);
    CHECK(transmit_all(s, 950).empty());
  }
  SECTION("acking seq 1 at 900 brings 2 and 3 back to the base timeout") {
    CHECK(s.handle_ack(1, 0));
    s.restart_backoff(900);
    s.handle_timeout(900);
    CHECK(transmit_all(s, 900).size() == 2);  // last sent at 700, base timeout 100: due
    CHECK(s.next_timeout() == 1100);          // the backoff starts over: 200 ms after this resend
    CHECK_FALSE(s.handle_ack(1, 0));          // no progress, nothing restarts
  }
}

TEST_CASE("the byte bound covers queued and unacked messages", "[core][flow]") {
  ReliableConfig c = backoff_config();
  c.max_in_flight = 2;
  c.queue_max_bytes = 1000;
  c.max_buffered_bytes = 1000;
  ReliableSender s(c);
  const std::string payload(299, 'x');  // 300 bytes with the channel
  for (uint64_t i = 1; i <= 3; ++i) REQUIRE(s.enqueue(i, "c", payload, true, 0) == ReliableSender::EnqueueResult::Ok);
  s.activate(false, 0);
  REQUIRE(transmit_all(s, 0).size() == 2);
  CHECK(s.queued_bytes() == 300);
  CHECK(s.in_flight_bytes() == 600);
  CHECK(s.buffered_bytes() == 900);
  // The queue alone has room; queue plus unacked does not.
  CHECK(s.enqueue(4, "c", payload, true, 0) == ReliableSender::EnqueueResult::QueueFull);
  CHECK(s.handle_ack(1, 0));
  CHECK(s.buffered_bytes() == 600);
  CHECK(s.enqueue(4, "c", payload, true, 0) == ReliableSender::EnqueueResult::Ok);
}

TEST_CASE("the server's defaults never fail a slow client's messages by retry count", "[core][flow]") {
  const ServerConfig config;
  CHECK(config.reliable.retry_forever);
  CHECK(config.reliable.ack_backoff > 1);
  CHECK(config.reliable.max_buffered_bytes == (size_t{16} << 20));
  CHECK(validate(config) == nullptr);
  ReliableConfig bad = config.reliable;
  bad.max_ack_timeout_ms = bad.ack_timeout_ms - 1;
  CHECK(validate(bad) != nullptr);
  bad = config.reliable;
  bad.ack_backoff = 0.5;
  CHECK(validate(bad) != nullptr);
}
