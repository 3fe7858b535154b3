// What a connection keeps between frames. A server holds thousands of idle
// connections, so buffers kept for reuse must not outlive the traffic that
// needed them, and one large batch must not leave its arrays behind.
#include <catch2/catch.hpp>

#include <string>

#include "core/server_session.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

struct OneConnection {
  OneConnection() : config(default_server_config()), authority(kSecret), table(1), session(config, authority, table, scratch, 7) {
    session.handle_open(now);
    session.handle_text(R"({"type":"auth","token":")" + make_token("alice", {"publish:*", "subscribe:*"}) + R"("})",
                        now);
    drain();
  }
  // What the runtime does after each input: take every frame and event.
  size_t drain() {
    size_t frames = 0;
    std::string frame;
    FrameKind kind = FrameKind::Text;
    while (session.poll_transmit(frame, kind, now)) ++frames;
    ServerEvent event;
    while (session.poll_event(event)) {
    }
    return frames;
  }

  ServerConfig config;
  Hs256Authority authority;
  SessionTable table;
  SessionScratch scratch;
  ServerSession session;
  TimeMs now = kStart;
};

std::string publish_batch(size_t count) {
  std::string frame = "[";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) frame += ',';
    frame += R"({"channel":"room","data":)" + std::to_string(i) + "}";
  }
  return frame + "]";
}

}  // namespace

TEST_CASE("a quiet connection keeps no outgoing buffers once its frames are out", "[core][server][memory]") {
  OneConnection c;
  REQUIRE(c.session.authenticated());
  // The auth reply went out a second or more after nothing: it was quiet.
  CHECK(c.session.retained_buffer_bytes() == 0);

  // An idle client pings every few seconds; each pong leaves nothing behind.
  for (int i = 0; i < 3; ++i) {
    c.now += 15000;
    c.session.handle_text(R"({"type":"ping","ts":1})", c.now);
    CHECK(c.drain() == 1);
    CHECK(c.session.retained_buffer_bytes() == 0);
  }
}

TEST_CASE("a busy connection keeps its buffers, so steady traffic reuses them", "[core][server][memory]") {
  OneConnection c;
  c.now += 15000;
  c.session.handle_text(R"({"type":"ping","ts":1})", c.now);
  REQUIRE(c.drain() == 1);
  // Pings 10 ms apart: every pong is within a second of the last frame.
  size_t kept = 0;
  for (int i = 0; i < 20; ++i) {
    c.now += 10;
    c.session.handle_text(R"({"type":"ping","ts":1})", c.now);
    REQUIRE(c.drain() == 1);
    kept = c.session.retained_buffer_bytes();
    CHECK(kept > 0);
  }
  // Quiet again: the next frame out releases them.
  c.now += 5000;
  c.session.handle_text(R"({"type":"ping","ts":1})", c.now);
  REQUIRE(c.drain() == 1);
  CHECK(c.session.retained_buffer_bytes() == 0);
}

TEST_CASE("one large batch does not leave its decoding arrays behind", "[core][server][memory]") {
  OneConnection c;
  c.now += 10;
  c.session.handle_text(publish_batch(2000), c.now);
  size_t publishes = 0;
  ServerEvent event;
  while (c.session.poll_event(event)) publishes += event.kind == ServerEvent::Kind::Publish;
  CHECK(publishes == 2000);
  // 2000 decoded messages were held during the call; afterwards the shared
  // arrays are back within their retained size.
  CHECK(c.scratch.decoded.capacity() <= 64);
  CHECK(c.scratch.ready.capacity() <= 64);
  CHECK(c.scratch.issues.capacity() <= 64);
  // And so is the session's event queue, drained above.
  c.drain();
  c.now += 5000;
  c.session.handle_text(R"({"type":"ping","ts":1})", c.now);
  c.drain();
  CHECK(c.session.retained_buffer_bytes() == 0);
}

TEST_CASE("frame writer: release_buffers frees everything, but never a pending frame", "[core][frame_writer][memory]") {
  FrameWriter writer(1 << 20);
  std::string& message = writer.begin_message();
  message = R"({"channel":"c","data":1})";
  writer.commit_message();
  writer.release_buffers();  // a frame is pending: nothing may go
  CHECK(writer.has_pending());
  std::string out;
  FrameKind kind = FrameKind::Text;
  REQUIRE(writer.pop_frame(out, kind));
  CHECK(out == R"({"channel":"c","data":1})");
  CHECK(writer.retained_bytes() > 0);
  writer.release_buffers();
  CHECK(writer.retained_bytes() == 0);
  // And it works as before afterwards.
  writer.begin_message() = R"({"channel":"c","data":2})";
  writer.commit_message();
  REQUIRE(writer.pop_frame(out, kind));
  CHECK(out == R"({"channel":"c","data":2})");
}
