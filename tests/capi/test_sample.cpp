// samples/c_chat in its non-interactive mode against the real tether-server:
// it joins, sends, sees acks, survives a server restart, and exits 0.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "server_process.h"
#include "tokens.h"

using tether::test_support::ChildProcess;
using tether::test_support::kServerBinary;
using tether::test_support::kTestSecret;
using tether::test_support::mint_token;
using tether::test_support::ServerProcess;

namespace {

size_t count_lines(const std::vector<std::string>& lines, const std::string& prefix) {
  size_t n = 0;
  for (const std::string& line : lines) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

bool wait_lines(ChildProcess& child, const std::string& prefix, size_t count, int64_t timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (count_lines(child.stdout_lines(), prefix) < count) {
    if (std::chrono::steady_clock::now() >= deadline || !child.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

}  // namespace

TEST_CASE("c_chat sends, gets acks, and reconnects when the server restarts", "[sample]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());

  ChildProcess chat;
  std::string error;
  REQUIRE(chat.spawn(TETHER_C_CHAT_PATH,
                     {"--url", server.url(), "--token", mint_token("alice"), "--channel", "room:chat", "--count",
                      "3", "--reconnects", "1", "--timeout-ms", "20000"},
                     error));
  INFO(joined(chat.stdout_lines()));
  REQUIRE(wait_lines(chat, "ack #", 3));

  server.kill();
  REQUIRE(wait_lines(chat, "state: reconnecting", 1));
  REQUIRE(server.restart());
  REQUIRE(chat.wait_exit(20000));

  const std::vector<std::string> out = chat.stdout_lines();
  INFO(joined(out));
  CHECK(chat.exit_code() == 0);
  CHECK(count_lines(out, "state: connecting") >= 2);
  CHECK(count_lines(out, "state: ready") == 2);
  CHECK(count_lines(out, "joined: room:chat") == 2);  // re-subscribed on the new server
  CHECK(count_lines(out, "sent #") == 6);
  CHECK(count_lines(out, "ack #") == 6);
  // It is subscribed to the channel it writes to, so it hears itself.
  CHECK(count_lines(out, "message on room:chat: {\"text\":\"line 1 of round 1\"}") == 1);
  CHECK(count_lines(out, "done: 6 sent, 6 acked, 0 failed, 1 reconnects") == 1);
}
