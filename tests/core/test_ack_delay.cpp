// The client's ack of a lone reliable message waits briefly (ack_delay_ms)
// for a frame that goes out anyway, so a request/response exchange costs the
// server one frame per round instead of two. Anything more than a lone
// message, and every duplicate, is acked at once; the delay never withholds
// an ack longer than ack_delay_ms.
#include <catch2/catch.hpp>

#include <string>

#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

std::string reliable_message(uint64_t seq) {
  return R"({"channel":"c","data":)" + std::to_string(seq) + R"(,"id":)" + std::to_string(seq) +
         R"(,"requireAck":true,"base":1})";
}

std::string drain_frames(ClientSession& c, size_t* frames = nullptr) {
  std::string all;
  std::string frame;
  FrameKind kind = FrameKind::Text;
  while (c.poll_transmit(frame, kind)) {
    all += frame;
    if (frames) ++*frames;
  }
  return all;
}

void drain_events(ClientSession& c) {
  ClientEvent e;
  while (c.poll_event(e)) {
  }
}

ClientSession ready_client(TimeMs ack_delay_ms) {
  ClientConfig config = default_client_config();
  config.ack_delay_ms = ack_delay_ms;
  ClientSession c(config, 1);
  c.connect(0);
  c.handle_open(1);
  drain_frames(c);
  c.handle_text(R"({"type":"auth_success","session":"s1","permissions":["publish:*","subscribe:*"]})", 2);
  REQUIRE(c.state() == ClientState::Ready);
  drain_frames(c);  // subscriptions, if any
  drain_events(c);
  return c;
}

}  // namespace

TEST_CASE("the ack of a lone message goes out once the ack delay has passed", "[core][session][ack]") {
  ClientSession c = ready_client(2);
  c.handle_text(reliable_message(1), 10);
  CHECK(drain_frames(c).find("\"ack\"") == std::string::npos);
  CHECK(c.next_timeout() == 12);
  c.handle_timeout(11);
  CHECK(drain_frames(c).find("\"ack\"") == std::string::npos);
  c.handle_timeout(12);
  CHECK(drain_frames(c).find(R"("upTo":1)") != std::string::npos);
  CHECK(c.next_timeout() > 12);
}

TEST_CASE("a delayed ack rides in the host's reply: one frame instead of two", "[core][session][ack]") {
  ClientSession c = ready_client(2);
  size_t frames = 0;
  for (uint64_t round = 1; round <= 10; ++round) {
    const TimeMs now = static_cast<TimeMs>(10 * round);
    c.handle_text(reliable_message(round), now);
    drain_events(c);
    REQUIRE(c.send("c", "\"reply\"", true, round, now) == SendStatus::Ok);
    const std::string out = drain_frames(c, &frames);
    CHECK(out.find(R"("upTo":)" + std::to_string(round)) != std::string::npos);
    CHECK(out.find("\"reply\"") != std::string::npos);
  }
  CHECK(frames == 10);

  // The same exchange without the delay: an ack frame, then the reply.
  ClientSession eager = ready_client(0);
  size_t eager_frames = 0;
  for (uint64_t round = 1; round <= 10; ++round) {
    const TimeMs now = static_cast<TimeMs>(10 * round);
    eager.handle_text(reliable_message(round), now);
    drain_frames(eager, &eager_frames);
    REQUIRE(eager.send("c", "\"reply\"", true, round, now) == SendStatus::Ok);
    drain_frames(eager, &eager_frames);
  }
  CHECK(eager_frames == 20);
}

TEST_CASE("two messages since the last ack, or a duplicate, are acked at once", "[core][session][ack]") {
  ClientSession c = ready_client(2);
  c.handle_text("[" + reliable_message(1) + "," + reliable_message(2) + "]", 10);
  CHECK(drain_frames(c).find(R"("upTo":2)") != std::string::npos);

  c.handle_text(reliable_message(3), 11);  // lone: waits
  CHECK(drain_frames(c).find("\"ack\"") == std::string::npos);
  c.handle_text(reliable_message(4), 11);  // the second since the last ack
  CHECK(drain_frames(c).find(R"("upTo":4)") != std::string::npos);

  c.handle_text(reliable_message(4), 12);  // a duplicate: the earlier ack may be lost
  CHECK(drain_frames(c).find(R"("upTo":4)") != std::string::npos);
}

TEST_CASE("the ack delay is bounded by validate", "[core][session][ack][config]") {
  ClientConfig config = default_client_config();
  config.ack_delay_ms = -1;
  CHECK(validate(config) != nullptr);
  config.ack_delay_ms = kMaxAckDelayMs + 1;
  CHECK(validate(config) != nullptr);
  config.ack_delay_ms = kMaxAckDelayMs;
  CHECK(validate(config) == nullptr);
  config.ack_delay_ms = 0;
  CHECK(validate(config) == nullptr);
}
