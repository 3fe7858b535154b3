// Does batching pay? Drives a ClientSession and a ServerSession back to back
// in memory (no sockets) and compares two ways of sending N small reliable
// messages: one frame per message with one ack each, versus frames batched
// per turn with cumulative acks. Prints frames, bytes and CPU time per
// message for each, and the ratios. Loops are bounded by count.
#include <chrono>
#include <cstdio>
#include <string>

#include "core/client_session.h"
#include "core/jwt.h"
#include "core/server_session.h"
#include "core/session_table.h"

using namespace tether::core;

namespace {

struct Result {
  double seconds = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;
  uint64_t delivered = 0;
};

Result run(size_t messages, size_t per_turn, size_t payload_bytes) {
  const std::string secret = "bench";
  TokenClaims claims;
  claims.subject = "bench";
  claims.permissions = {"publish:*"};
  ClientConfig client_config;
  client_config.token = sign_hs256(claims, secret);
  client_config.reliable.max_in_flight = 4096;
  ServerConfig server_config;
  Hs256Authority authority(secret);
  SessionTable table(1);
  SessionScratch scratch;
  ClientSession client(client_config, 1);
  ServerSession server(server_config, authority, table, scratch, 1);

  Result result;
  std::string frame;
  tether::core::FrameKind text_only_kind = tether::core::FrameKind::Text;  // JSON only here
  TimeMs now = 1;
  auto exchange = [&] {
    while (client.poll_transmit(frame, text_only_kind)) {
      ++result.frames;
      result.bytes += frame.size();
      server.handle_text(frame, now);
    }
    while (server.poll_transmit(frame, text_only_kind, now)) {
      ++result.frames;
      result.bytes += frame.size();
      client.handle_text(frame, now);
    }
    ServerEvent se;
    while (server.poll_event(se)) result.delivered += se.kind == ServerEvent::Kind::Publish ? 1 : 0;
    ClientEvent ce;
    while (client.poll_event(ce)) {
    }
  };
  TransportAction action;
  client.connect(now);
  client.poll_action(action);
  client.handle_open(now);
  server.handle_open(now);
  exchange();

  const std::string payload = "\"" + std::string(payload_bytes > 2 ? payload_bytes - 2 : 0, 'x') + "\"";
  result.frames = result.bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  uint64_t id = 0;
  while (id < messages) {
    for (size_t i = 0; i < per_turn && id < messages; ++i) client.send("bench", payload, true, ++id, now);
    exchange();
    exchange();  // acks back
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

void report(size_t payload_bytes) {
  const size_t kMessages = 200000;
  const Result single = run(kMessages, 1, payload_bytes);
  const Result batched = run(kMessages, 64, payload_bytes);
  auto per_msg = [&](const Result& r, double value) { return value / static_cast<double>(r.delivered); };
  std::printf("payload=%zuB unbatched: frames/msg=%.3f bytes/msg=%.1f ns/msg=%.0f delivered=%llu\n", payload_bytes,
              per_msg(single, static_cast<double>(single.frames)), per_msg(single, static_cast<double>(single.bytes)),
              per_msg(single, single.seconds * 1e9), static_cast<unsigned long long>(single.delivered));
  std::printf("payload=%zuB batched64: frames/msg=%.3f bytes/msg=%.1f ns/msg=%.0f delivered=%llu\n", payload_bytes,
              per_msg(batched, static_cast<double>(batched.frames)), per_msg(batched, static_cast<double>(batched.bytes)),
              per_msg(batched, batched.seconds * 1e9), static_cast<unsigned long long>(batched.delivered));
  std::printf("batching_%zuB frames_ratio=%.3f bytes_ratio=%.3f cpu_speedup=%.2f\n", payload_bytes,
              static_cast<double>(batched.frames) / static_cast<double>(single.frames),
              static_cast<double>(batched.bytes) / static_cast<double>(single.bytes), single.seconds / batched.seconds);
}

}  // namespace

int main() {
  report(64);
  report(1024);
  return 0;
}
