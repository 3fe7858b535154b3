// Server-side flow control over real sockets: the client's auth window caps
// unacked messages, a client that stops acking but pings is never failed or
// dropped, and only the per-session byte bound ends it as a slow consumer.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "core/message.h"
#include "raw_client.h"
#include "server/command_line.h"
#include "server_harness.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::MessageType;
using test_support::mint_token;
using test_support::RawClient;

// Authenticates with an explicit window and subscribes to `channel`.
std::string auth_with_window(RawClient& raw, uint32_t window, const std::string& channel) {
  REQUIRE(raw.wait_open());
  raw.send(R"({"type":"auth","token":")" + mint_token("slow") + R"(","window":)" + std::to_string(window) + "}");
  REQUIRE(raw.wait_for_message(MessageType::AuthSuccess));
  raw.send(R"({"type":"subscribe","channel":")" + channel + R"("})");
  REQUIRE(raw.wait_for_message(MessageType::Subscribed));
  return raw.find(MessageType::AuthSuccess)->session;
}

std::set<uint64_t> reliable_ids(const RawClient& raw) {
  std::set<uint64_t> ids;
  for (const core::Message& m : raw.messages()) {
    if (m.type == MessageType::Channel && m.require_ack) ids.insert(m.id);
  }
  return ids;
}

size_t reliable_frames(const RawClient& raw) {
  size_t n = 0;
  for (const core::Message& m : raw.messages()) n += m.type == MessageType::Channel && m.require_ack ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("a client that stops acking but pings keeps its window of messages, none fail", "[server][integration][flow]") {
  ServerHarness harness([](ServerOptions& options) {
    options.session.reliable.ack_timeout_ms = 100;
    options.session.reliable.max_ack_timeout_ms = 400;
    options.session.idle_timeout_ms = 3000;
  });
  RawClient slow(harness.loop, harness.url());
  const std::string session = auth_with_window(slow, 3, "feed");
  constexpr int kMessages = 20;
  for (int n = 1; n <= kMessages; ++n) REQUIRE(harness.server->publish("feed", std::to_string(n), true));

  // Four seconds without an ack (longer than the idle timeout: pings count),
  // with resends backing off from 100 ms to 400 ms.
  for (int i = 0; i < 8; ++i) {
    slow.send(R"({"type":"ping","timestamp":1})");
    test_support::run_for(harness.loop, 500);
  }
  REQUIRE(slow.is_open());
  CHECK(reliable_ids(slow) == std::set<uint64_t>{1, 2, 3});
  const auto stalled = harness.server->session_stats(session);
  REQUIRE(stalled);
  CHECK(stalled->in_flight == 3);
  CHECK(stalled->queued == kMessages - 3);
  CHECK(stalled->failed == 0);
  // A fixed 100 ms timer would have sent each of the 3 about 40 times.
  CHECK(reliable_frames(slow) < 3 * 25);

  // Acking again drains the rest, never more than 3 beyond what was acked.
  uint64_t acked = 0;
  REQUIRE(test_support::run_until(harness.loop, [&] {
    const std::set<uint64_t> ids = reliable_ids(slow);
    CHECK(*ids.rbegin() <= acked + 3);
    uint64_t contiguous = acked;
    while (ids.count(contiguous + 1) > 0) ++contiguous;
    if (contiguous > acked) {
      acked = contiguous;
      slow.send(R"({"type":"ack","upTo":)" + std::to_string(acked) + "}");
    }
    const auto stats = harness.server->session_stats(session);
    return stats && stats->delivered == kMessages;
  }));
  CHECK(harness.server->session_stats(session)->failed == 0);
  CHECK_FALSE(harness.logged("slow consumer"));
}

TEST_CASE("the per-session byte bound, not time or retries, drops a client that stops reading (4008)",
          "[server][integration][flow]") {
  ServerHarness harness([](ServerOptions& options) {
    options.session.reliable.max_buffered_bytes = 8192;
    options.session.reliable.queue_max_bytes = 8192;
  });
  RawClient slow(harness.loop, harness.url());
  const std::string session = auth_with_window(slow, 4, "feed");
  const std::string data = "\"" + std::string(998, 'x') + "\"";  // 1,004 bytes with "feed"
  // Eight fit: four in flight (unacked) and four queued.
  for (int n = 0; n < 8; ++n) REQUIRE(harness.server->publish("feed", data, true));
  test_support::run_for(harness.loop, 200);
  REQUIRE(slow.is_open());
  const auto full = harness.server->session_stats(session);
  REQUIRE(full);
  CHECK(full->buffered_bytes == 8 * 1004);
  CHECK(full->in_flight == 4);
  // The ninth does not.
  REQUIRE(harness.server->publish("feed", data, true));
  REQUIRE(slow.wait_closed());
  CHECK(slow.close_info().code == 4008);
  CHECK(harness.logged("slow consumer session=" + session.substr(0, 8)));
  CHECK(harness.logged("buffered_bytes=8032"));
}

TEST_CASE("tether-server flags set the session buffer bounds", "[server][flow]") {
  CommandLine parsed;
  REQUIRE(parse_command_line({"--jwt-secret", "s", "--max-session-buffer-bytes", "1048576", "--max-session-queue",
                              "500"},
                             nullptr, parsed)
              .empty());
  CHECK(parsed.options.session.reliable.max_buffered_bytes == 1048576);
  CHECK(parsed.options.session.reliable.queue_max_bytes == 1048576);
  CHECK(parsed.options.session.reliable.queue_max_messages == 500);

  REQUIRE(parse_command_line({"--jwt-secret", "s"}, nullptr, parsed).empty());
  CHECK(parsed.options.session.reliable.max_buffered_bytes == (size_t{16} << 20));
  CHECK(parsed.options.session.reliable.queue_max_messages == 65536);
  CHECK(parsed.options.session.reliable.retry_forever);
  CHECK_FALSE(parse_command_line({"--jwt-secret", "s", "--max-session-buffer-bytes", "0"}, nullptr, parsed).empty());
  CHECK(std::string(usage_text()).find("--max-session-buffer-bytes") != std::string::npos);
}

}  // namespace tether::server::test
