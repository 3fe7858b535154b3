// A host that stops pumping pauses the client's inbound side. Nothing
// reliable is taken in while paused, and after the pause nothing ahead of the
// gap it left is held for reordering either: the message filling the gap
// would release the whole held backlog as events at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "event_helpers.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

std::string reliable_frame(uint64_t seq, uint64_t base) {
  return R"({"channel":"c","data":)" + std::to_string(seq) + R"(,"id":)" + std::to_string(seq) +
         R"(,"requireAck":true,"base":)" + std::to_string(base) + "}";
}

// Sequences of the Message events drained from `c` since the last call.
std::vector<uint64_t> drain_messages(ClientSession& c) {
  std::vector<uint64_t> out;
  ClientEvent e;
  while (c.poll_event(e)) {
    if (e.kind == ClientEvent::Kind::Message) out.push_back(e.message_id);
  }
  return out;
}

std::string drain_frames(ClientSession& c) {
  std::string all;
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  while (c.poll_transmit(frame, text_only_kind)) all += frame;
  return all;
}

std::vector<uint64_t> delivered_numbers(const std::vector<ClientEvent>& events) {
  std::vector<uint64_t> out;
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::Message) out.push_back(std::stoull(e.data.substr(1)));
  }
  return out;
}

}  // namespace

TEST_CASE("a paused client holds nothing, and defers what is ahead of the gap until it fills",
          "[core][session][flow]") {
  ClientConfig config = default_client_config();
  config.ack_delay_ms = 0;  // this test reads each frame's ack at once
  ClientSession c(config, 1);
  c.connect(0);
  c.handle_open(1);
  drain_frames(c);
  c.handle_text(R"({"type":"auth_success","session":"s1"})", 2);
  REQUIRE(c.state() == ClientState::Ready);
  drain_messages(c);

  c.set_inbound_paused(true);
  c.handle_text(reliable_frame(3, 1), 3);  // out of order
  c.handle_text(reliable_frame(2, 1), 4);  // out of order
  c.handle_text(reliable_frame(1, 1), 5);  // in order
  CHECK(c.receiver().buffered() == 0);
  CHECK(c.receiver().buffered_bytes() == 0);
  CHECK(c.receiver().delivered_up_to() == 0);
  CHECK(c.counters().deferred_reliable == 3);
  CHECK(drain_messages(c).empty());
  CHECK(drain_frames(c).find("\"ack\"") == std::string::npos);  // nothing acked

  c.set_inbound_paused(false);
  // The server resends in its own order; here 3 comes back before 1. Held,
  // it would be released with everything else once 1 arrived: deferred.
  c.handle_text(reliable_frame(3, 1), 6);
  CHECK(c.receiver().buffered() == 0);
  CHECK(c.receiver().buffered_bytes() == 0);
  CHECK(c.counters().deferred_reliable == 4);
  CHECK(drain_messages(c).empty());

  // The first in-order message is taken at once: the drain makes progress.
  c.handle_text(reliable_frame(1, 1), 7);
  CHECK(drain_messages(c) == std::vector<uint64_t>{1});
  CHECK(drain_frames(c).find(R"("upTo":1)") != std::string::npos);
  c.handle_text(reliable_frame(3, 1), 8);  // still ahead of the gap (2 was deferred)
  CHECK(c.receiver().buffered() == 0);
  c.handle_text(reliable_frame(2, 1), 9);
  c.handle_text(reliable_frame(3, 1), 10);
  CHECK(drain_messages(c) == std::vector<uint64_t>{2, 3});
  CHECK(c.receiver().delivered_up_to() == 3);
  c.handle_text(reliable_frame(3, 1), 11);  // a late duplicate
  CHECK(drain_messages(c).empty());

  // The gap is closed: ordinary reordering is back (nothing was deferred past 3).
  c.handle_text(reliable_frame(5, 4), 12);
  CHECK(c.receiver().buffered() == 1);
  c.handle_text(reliable_frame(4, 4), 13);
  CHECK(drain_messages(c) == std::vector<uint64_t>{4, 5});
  CHECK(c.counters().deferred_reliable == 5);
}

TEST_CASE("draining after a pause never holds a reorder backlog and delivers everything once, in order",
          "[core][session][flow]") {
  SimPair p;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  const std::shared_ptr<SessionState> state = p.server()->state();
  auto numbered = [](uint64_t n) { return "\"" + std::to_string(n) + ":" + std::string(1000, 'x') + "\""; };

  // The host stops pumping: the first half goes out and is deferred.
  p.client.set_inbound_paused(true);
  constexpr uint64_t kHalf = 100;
  for (uint64_t n = 1; n <= kHalf; ++n) REQUIRE(state->enqueue("feed", numbered(n), true, 0));
  p.advance(50);
  CHECK(p.client.counters().deferred_reliable == kHalf);

  // It pumps again while the second half is first sent: that half arrives
  // ahead of the gap the pause left.
  p.client.set_inbound_paused(false);
  for (uint64_t n = kHalf + 1; n <= 2 * kHalf; ++n) REQUIRE(state->enqueue("feed", numbered(n), true, 0));

  size_t most_held = 0;
  size_t most_held_bytes = 0;
  size_t largest_release = 0;
  size_t seen = 0;
  const TimeMs start = p.now;
  REQUIRE(p.run_until(
      [&] {
        most_held = std::max(most_held, p.client.receiver().buffered());
        most_held_bytes = std::max(most_held_bytes, p.client.receiver().buffered_bytes());
        const size_t messages = count_events(p, ClientEvent::Kind::Message);
        largest_release = std::max(largest_release, messages - seen);
        seen = messages;
        state->drain_resolutions();
        return state->delivered == 2 * kHalf;
      },
      60000));
  std::vector<uint64_t> expected(2 * kHalf);
  for (uint64_t n = 0; n < 2 * kHalf; ++n) expected[n] = n + 1;
  CHECK(delivered_numbers(p.client_events) == expected);
  CHECK(most_held == 0);
  CHECK(most_held_bytes == 0);
  CHECK(largest_release <= kHalf);
  CHECK(state->failed == 0);
  CHECK(p.client.counters().reconnects == 0);
  std::printf("pause drain: deferred=%llu, most held=%zu (%zu bytes), largest release=%zu, drained in %.1f s\n",
              static_cast<unsigned long long>(p.client.counters().deferred_reliable), most_held, most_held_bytes,
              largest_release, (p.now - start) / 1000.0);
}

TEST_CASE("a client that let messages go asks for them when it resumes, instead of waiting out backed-off timers",
          "[core][session][flow]") {
  // The reference timers: 15 s pings (whose probe would resend too), 5 s acks.
  ClientConfig config = default_client_config();
  config.heartbeat.interval_ms = 15000;
  config.heartbeat.timeout_ms = 5000;
  SimPair p(config);
  p.server_config.reliable.ack_timeout_ms = 5000;
  p.server_config.idle_timeout_ms = 60000;
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  const std::shared_ptr<SessionState> state = p.server()->state();
  // One delivered first: the request is an ack, and an ack names upTo.
  REQUIRE(state->enqueue("feed", "0", true, 0));
  REQUIRE(p.run_until([&] { return p.client.receiver().delivered_up_to() == 1; }, 1000));

  // The host is away for 40 s: the server's resends back off towards 30 s.
  p.client.set_inbound_paused(true);
  constexpr uint64_t kMessages = 50;
  for (uint64_t n = 1; n <= kMessages; ++n) REQUIRE(state->enqueue("feed", std::to_string(n), true, 0));
  p.advance(40000);
  REQUIRE(p.client.counters().deferred_reliable >= kMessages);
  REQUIRE(p.client.receiver().delivered_up_to() == 1);

  p.client.set_inbound_paused(false);
  const TimeMs resumed_at = p.now;
  REQUIRE(p.run_until([&] { return p.client.receiver().delivered_up_to() == kMessages + 1; }, 60000));
  // A few round trips on the simulated link, not the next backed-off timer
  // (15-30 s) or the next ping's probe.
  INFO("drained " << p.now - resumed_at << " ms after resuming");
  CHECK(p.now - resumed_at < 1000);
  CHECK(p.client.counters().reconnects == 0);
  CHECK(state->failed == 0);
}

TEST_CASE("the server honours a resend request at most once a second", "[core][session][flow]") {
  SimPair p;
  p.server_config.reliable.ack_timeout_ms = 60000;  // only requests resend here
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  const std::shared_ptr<SessionState> state = p.server()->state();
  REQUIRE(state->enqueue("feed", "0", true, 0));
  REQUIRE(p.run_until([&] { return p.client.receiver().delivered_up_to() == 1; }, 1000));
  p.client.set_inbound_paused(true);  // so the next ten stay unacked
  for (uint64_t n = 1; n <= 10; ++n) REQUIRE(state->enqueue("feed", std::to_string(n), true, 0));
  p.advance(100);
  REQUIRE(state->sender.retransmissions() == 0);

  const std::string request = R"({"type":"ack","upTo":1,"resend":true})";
  p.server()->handle_text(request, p.now);
  p.advance(10);
  CHECK(state->sender.retransmissions() == 10);  // every unacked one, once
  // A client repeating it cannot multiply the server's output...
  for (int i = 0; i < 5; ++i) p.server()->handle_text(request, p.now);
  p.advance(10);
  CHECK(state->sender.retransmissions() == 10);
  // ...but a second later it is honoured again.
  p.advance(1000);
  p.server()->handle_text(request, p.now);
  p.advance(10);
  CHECK(state->sender.retransmissions() == 20);
}
