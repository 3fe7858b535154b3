// FrameWriter: batches stay within the peer's element and byte limits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/codec_binary.h"
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
  FrameKind kind = FrameKind::Text;
  while (writer.pop_frame(frame, kind)) {
    REQUIRE(kind == FrameKind::Text);
    frames.push_back(frame);
  }
  return frames;
}

void commit_binary(FrameWriter& writer, std::string_view channel, std::string_view data) {
  encode_binary_channel_message(channel, data, 0, 0, 0, writer.begin_message(FrameKind::Binary));
  writer.commit_message();
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
  FrameWriter writer(1 << 20, 100);  // 100 pings are far below the target frame size
  const std::string ping = R"({"type":"ping","timestamp":1})";
  for (int i = 0; i < 101; ++i) commit(writer, ping);
  const std::vector<std::string> frames = drain(writer);
  CodecLimits peer;  // max_batch 4096, as the reference server
  REQUIRE(frames.size() == 2);
  CHECK(elements(frames[0], peer) == 100);
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

TEST_CASE("frame writer: a batch closes at the target size where the peer takes more", "[core][frame_writer]") {
  FrameWriter writer(1 << 20);
  std::string message;
  encode_channel_message("c", "\"" + std::string(200, 'x') + "\"", 1700000000000, 7, 0, message);
  for (int i = 0; i < 1000; ++i) commit(writer, message);
  std::string lone;  // larger than the target
  encode_channel_message("c", "\"" + std::string(40000, 'y') + "\"", 1700000000000, 8, 0, lone);
  commit(writer, lone);
  commit(writer, message);
  const std::vector<std::string> frames = drain(writer);
  REQUIRE(frames.size() >= 3);
  const size_t batches = frames.size() - 2;
  CodecLimits peer;
  size_t total = 0;
  for (size_t i = 0; i < batches; ++i) {
    CHECK(frames[i].size() <= FrameWriter::kTargetFrameBytes);
    // Each batch but the last is full: one more message would pass the target.
    if (i + 1 < batches) CHECK(frames[i].size() + message.size() + 1 > FrameWriter::kTargetFrameBytes);
    total += elements(frames[i], peer);
  }
  CHECK(total == 1000);
  CHECK(frames[batches] == lone);  // alone and whole, up to the byte limit
  CHECK(frames.back() == message);
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
  FrameKind kind = FrameKind::Text;
  for (int i = 0; i < 5; ++i) {
    commit(writer, big);
    REQUIRE(writer.pop_frame(out, kind));
    CHECK(out.size() == big.size());
  }
  // Only the frame just handed out is large; the writer kept none of them.
  CHECK(writer.retained_bytes() <= 6 * 16 * 1024);

  // Small traffic afterwards: the caller's large buffer leaves too.
  for (int i = 0; i < 10; ++i) {
    commit(writer, small);
    REQUIRE(writer.pop_frame(out, kind));
    CHECK(out == small);
  }
  CHECK_FALSE(writer.has_pending());
  CHECK(writer.retained_bytes() <= 6 * 16 * 1024);  // a few small recycled buffers at most
  CHECK(out.capacity() < big.size());
}

TEST_CASE("binary records share binary frames, and a change of kind closes the open frame", "[core][batch][binary]") {
  FrameWriter writer(1 << 20);
  commit(writer, R"({"channel":"a","data":1})");
  commit(writer, R"({"channel":"a","data":2})");
  commit_binary(writer, "a", std::string("\x00\x01", 2));
  commit_binary(writer, "b", "xyz");
  commit(writer, R"({"channel":"a","data":3})");

  std::vector<std::pair<FrameKind, std::string>> frames;
  std::string frame;
  FrameKind kind = FrameKind::Text;
  while (writer.pop_frame(frame, kind)) frames.emplace_back(kind, frame);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0].first == FrameKind::Text);
  CHECK(frames[0].second == R"([{"channel":"a","data":1},{"channel":"a","data":2}])");
  CHECK(frames[2].first == FrameKind::Text);
  CHECK(frames[2].second == R"({"channel":"a","data":3})");

  // The binary frame holds both records, in order, with no framing between them.
  REQUIRE(frames[1].first == FrameKind::Binary);
  std::vector<Message> out;
  std::vector<DecodeIssue> issues;
  REQUIRE(decode_binary_frame(frames[1].second, CodecLimits{}, out, issues) == CodecError::None);
  REQUIRE(out.size() == 2);
  CHECK(out[0].channel == "a");
  CHECK(out[0].data == std::string("\x00\x01", 2));
  CHECK(out[1].channel == "b");
  CHECK(out[1].data == "xyz");
  CHECK(issues.empty());
}

TEST_CASE("binary frames stay within the peer's byte and record limits", "[core][batch][binary]") {
  const std::string payload(100, 'p');
  std::string one;
  encode_binary_channel_message("c", payload, 0, 0, 0, one);
  FrameWriter writer(3 * one.size() + 1, 4);
  for (int i = 0; i < 20; ++i) commit_binary(writer, "c", payload);
  std::string frame;
  FrameKind kind = FrameKind::Text;
  size_t records = 0;
  size_t frames = 0;
  CodecLimits peer;
  peer.max_frame_bytes = 3 * one.size() + 1;
  peer.max_batch = 4;
  while (writer.pop_frame(frame, kind)) {
    REQUIRE(kind == FrameKind::Binary);
    CHECK(frame.size() <= peer.max_frame_bytes);
    std::vector<Message> out;
    std::vector<DecodeIssue> issues;
    REQUIRE(decode_binary_frame(frame, peer, out, issues) == CodecError::None);
    CHECK(out.size() <= 3);  // the byte limit binds before the record limit
    records += out.size();
    ++frames;
  }
  CHECK(records == 20);
  CHECK(frames == 7);  // six full frames of three records, then two
}
