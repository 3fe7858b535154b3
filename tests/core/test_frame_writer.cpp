// FrameWriter: batches stay within the peer's element and byte limits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/frame_writer.h"

using namespace tether::core;

namespace {

void commit(FrameWriter& writer, const std::string& message) {
  writer.begin_message() = message;
  writer.commit_message();
}

std::vector<std::string> drain(FrameWriter& writer) {
  std::vector<std::string> frames;
  std::string frame;
  while (writer.pop_frame(frame)) frames.push_back(frame);
  return frames;
}

// Messages in a frame, as the peer's decoder counts them (with its own limits).
size_t elements(const std::string& frame, const CodecLimits& peer) {
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_frame(frame, peer, out, issues) == CodecError::None);
  return out.size();
}

}  // namespace

TEST_CASE("frame writer: a batch never holds more elements than the limit", "[core][frame_writer]") {
  FrameWriter writer(1 << 20);  // the protocol's 4096 by default
  const std::string ping = R"({"type":"ping","timestamp":1})";
  for (int i = 0; i < 4097; ++i) commit(writer, ping);
  const std::vector<std::string> frames = drain(writer);
  CodecLimits peer;  // max_batch 4096, as the reference server
  REQUIRE(frames.size() == 2);
  CHECK(elements(frames[0], peer) == 4096);
  CHECK(elements(frames[1], peer) == 1);
  CHECK(frames[1] == ping);  // a lone message goes out bare

  SECTION("a smaller peer limit applies to the next messages") {
    writer.set_limits(1 << 20, 3);
    for (int i = 0; i < 7; ++i) commit(writer, ping);
    std::vector<size_t> counts;
    for (const std::string& f : drain(writer)) counts.push_back(elements(f, peer));
    CHECK(counts == std::vector<size_t>{3, 3, 1});
  }
}

TEST_CASE("frame writer: every batch fits the byte limit", "[core][frame_writer]") {
  FrameWriter writer(200);
  std::string message;
  encode_channel_message("c", "12345", 1700000000000, 0, 0, message);
  for (int i = 0; i < 50; ++i) commit(writer, message);
  size_t total = 0;
  CodecLimits peer;
  peer.max_frame_bytes = 200;
  for (const std::string& f : drain(writer)) {
    CHECK(f.size() <= 200);
    total += elements(f, peer);
  }
  CHECK(total == 50);

  SECTION("a message over the limit still goes out, alone") {
    commit(writer, message);
    commit(writer, std::string(R"({"channel":"c","data":")") + std::string(300, 'x') + "\"}");
    commit(writer, message);
    const std::vector<std::string> frames = drain(writer);
    REQUIRE(frames.size() == 3);
    CHECK(frames[1].size() > 200);
    CHECK(frames[1].front() == '{');
  }
}

TEST_CASE("frame writer: a burst's large buffers are not kept once it has gone out", "[core][frame_writer]") {
  FrameWriter writer(1 << 20);
  std::string small;
  encode_channel_message("c", "1", 1700000000000, 0, 0, small);
  const std::string big = std::string(R"({"channel":"c","data":")") + std::string(200 * 1024, 'x') + "\"}";

  std::string out;  // the caller's reused buffer, as the runtimes keep one
  for (int i = 0; i < 5; ++i) {
    commit(writer, big);
    REQUIRE(writer.pop_frame(out));
    CHECK(out.size() == big.size());
  }
  // Only the frame just handed out is large; the writer kept none of them.
  CHECK(writer.retained_bytes() <= 6 * 16 * 1024);

  // Small traffic afterwards: the caller's large buffer leaves too.
  for (int i = 0; i < 10; ++i) {
    commit(writer, small);
    REQUIRE(writer.pop_frame(out));
    CHECK(out == small);
  }
  CHECK_FALSE(writer.has_pending());
  CHECK(writer.retained_bytes() <= 6 * 16 * 1024);  // a few small recycled buffers at most
  CHECK(out.capacity() < big.size());
}
