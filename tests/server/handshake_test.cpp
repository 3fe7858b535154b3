// Issue 9, item 1, and the HTTP side of the handshake against the real
// tether-server: only RFC 6455 (version 13) upgrades are accepted. Hixie-76
// and the hybi-07/08 drafts get 426 with Sec-WebSocket-Version: 13 before
// any of their framing is parsed, and what such a client streams afterwards
// costs the server nothing; nor does a request body. A canary is served
// throughout.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/message.h"
#include "raw_client.h"
#include "process_memory.h"
#include "transport/raw_socket.h"
#include "server_process.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::MessageType;
using test_support::kServerBinary;
using test_support::kTestSecret;
using test_support::mint_token;
using test_support::RawClient;
using test_support::run_until;
using test_support::ServerProcess;
using transport::test::RawSocket;

constexpr size_t kMiB = 1u << 20;

double grown_mib(size_t before, size_t after) {
  return (static_cast<double>(after) - static_cast<double>(before)) / kMiB;
}

// The canary publishes on its own channel and gets its echo back.
void check_canary(transport::EventLoop& loop, RawClient& canary) {
  const size_t before = canary.messages().size();
  canary.send(R"({"channel":"canary","data":"tweet"})");
  CHECK(run_until(loop, [&] {
    for (size_t i = before; i < canary.messages().size(); ++i) {
      if (canary.messages()[i].type == MessageType::Channel) return true;
    }
    return false;
  }));
  CHECK(canary.is_open());
}

// Streams `total` bytes of `chunk` for as long as the server takes them;
// returns how many it took. A server that stopped reading (or closed) takes
// no more than the kernel buffers once they are full.
size_t stream(transport::EventLoop& loop, RawSocket& raw, const std::string& chunk, size_t total) {
  size_t taken = 0;
  int64_t stalled_since = loop.now_ms();
  run_until(
      loop,
      [&] {
        raw.poll();
        const size_t now_taken = raw.send_some(chunk);
        taken += now_taken;
        if (now_taken > 0) stalled_since = loop.now_ms();
        return taken >= total || !raw.connected() || raw.peer_closed() || loop.now_ms() - stalled_since > 1000;
      },
      30000);
  return taken;
}

}  // namespace

TEST_CASE("legacy handshakes get 426 with Sec-WebSocket-Version 13, and streaming after them costs nothing",
          "[server][integration][handshake]") {
  const NoAsanQuarantineForChildren measurable;  // RSS counts what the server keeps
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  transport::EventLoop loop;
  RawClient canary(loop, server.url());
  REQUIRE(canary.wait_open());
  canary.send_auth(mint_token("canary"));
  REQUIRE(canary.wait_for_message(MessageType::AuthSuccess));
  canary.send(R"({"type":"subscribe","channel":"canary"})");
  REQUIRE(canary.wait_for_message(MessageType::Subscribed));
  const size_t rss_before = resident_bytes(server.pid());

  // Hixie-76 (draft-hixie-thewebsocketprotocol-76): no version header, two
  // numeric keys and eight key bytes after the header block; its frames are
  // 0x00 <text> 0xFF with no length, which is how 24 MiB once went into one.
  const std::string hixie_headers =
      "Origin: http://127.0.0.1\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
      "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: tether.v1\r\n";
  const struct {
    const char* name;
    std::string request;
  } legacy[] = {
      {"hixie-76", RawSocket::upgrade_request(server.port(), hixie_headers) + "^n:ds[4U"},
      {"hybi-07", RawSocket::upgrade_request(server.port(), "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                            "Sec-WebSocket-Version: 7\r\n")},
      {"hybi-08", RawSocket::upgrade_request(server.port(), "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                            "Sec-WebSocket-Version: 8\r\n")},
      {"version 0", RawSocket::upgrade_request(server.port(), "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                              "Sec-WebSocket-Version: 0\r\n")},
      {"version 14", RawSocket::upgrade_request(server.port(), "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                               "Sec-WebSocket-Version: 14\r\n")},
  };
  // 24 MiB of one Hixie-76 frame that never ends, in 64 KiB writes.
  const std::string chunk(64 * 1024, 'x');
  double most_grown = 0;
  for (const auto& attempt : legacy) {
    INFO(attempt.name);
    RawSocket raw(server.port());
    REQUIRE(raw.connected());
    REQUIRE(raw.send_all(attempt.request));
    REQUIRE(run_until(loop, [&] {
      raw.poll();
      return raw.response_complete();
    }));
    CHECK(raw.status() == 426);
    CHECK(raw.header("Sec-WebSocket-Version") == "13");
    CHECK(raw.texts().empty());
    raw.send_some(std::string(1, '\0'));
    const size_t taken = stream(loop, raw, chunk, 24 * kMiB);
    // Measured with the socket still open: whatever the server kept of it is still held.
    const double grown = grown_mib(rss_before, resident_bytes(server.pid()));
    most_grown = std::max(most_grown, grown);
    std::printf("%s: HTTP %d; then the server's side took %.1f of 24 MiB streamed; server RSS grew %.1f MiB\n",
                attempt.name, raw.status(), static_cast<double>(taken) / kMiB, grown);
    CHECK(taken < 24 * kMiB);
    CHECK(run_until(loop, [&] { return !raw.poll(); }));  // the server dropped it
  }
  CHECK(most_grown < rss_budget_mib(4));  // was +24 MiB for one Hixie-76 client
  size_t opened = 0;  // none of them was ever opened: only the canary
  for (const std::string& line : server.log_lines()) opened += line.rfind("connect conn=", 0) == 0 ? 1 : 0;
  CHECK(opened == 1);
  check_canary(loop, canary);

  // RFC 6455 itself still works, on a raw socket as from the real client.
  RawSocket good(server.port());
  REQUIRE(good.send_all(RawSocket::rfc6455_request(server.port())));
  REQUIRE(run_until(loop, [&] {
    good.poll();
    return good.response_complete();
  }));
  CHECK(good.status() == 101);
  CHECK(good.header("Sec-WebSocket-Protocol") == "tether.v1");
  CHECK(server.stop() == 0);
}

TEST_CASE("an upgrade request with a body is refused (413) without buffering it", "[server][integration][handshake]") {
  const NoAsanQuarantineForChildren measurable;  // RSS counts what the server keeps
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  transport::EventLoop loop;
  RawClient canary(loop, server.url());
  REQUIRE(canary.wait_open());
  canary.send_auth(mint_token("canary"));
  REQUIRE(canary.wait_for_message(MessageType::AuthSuccess));
  canary.send(R"({"type":"subscribe","channel":"canary"})");
  REQUIRE(canary.wait_for_message(MessageType::Subscribed));
  const size_t rss_before = resident_bytes(server.pid());

  // websocketpp would read up to 32 MB of body before answering.
  RawSocket raw(server.port());
  const std::string request = RawSocket::upgrade_request(
      server.port(),
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 31000000\r\n");
  REQUIRE(raw.send_all(request));
  REQUIRE(run_until(loop, [&] {
    raw.poll();
    return raw.response_complete();
  }));
  CHECK(raw.status() == 413);  // answered on the header block alone
  const size_t taken = stream(loop, raw, std::string(64 * 1024, 'b'), 31000000);
  CHECK(taken < 31000000);
  const double grown = grown_mib(rss_before, resident_bytes(server.pid()));
  std::printf("31 MB body offered, %.1f MiB taken by the server's side; RSS grew %.1f MiB\n",
              static_cast<double>(taken) / kMiB, grown);
  CHECK(grown < rss_budget_mib(4));
  check_canary(loop, canary);
  CHECK(server.stop() == 0);
}

// RFC 6455 4.2.1: the key is 16 bytes in base64; a request with a NUL in a
// header, or a body (Transfer-Encoding announces one too), is no upgrade.
TEST_CASE("malformed upgrade requests get 400, one announcing a chunked body 413", "[server][integration][handshake]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  transport::EventLoop loop;
  const std::string good_key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const std::string version = "Sec-WebSocket-Version: 13\r\n";
  struct Case {
    const char* what;
    std::string headers;
    int status;
  };
  const Case cases[] = {
      {"a well-formed request", good_key + version, 101},
      {"a short key", "Sec-WebSocket-Key: abc\r\n" + version, 400},
      {"a 15-byte key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\n" + version, 400},
      {"a key that is not base64", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2*jZQ==\r\n" + version, 400},
      {"two keys", good_key + good_key + version, 400},
      {"a NUL in a header", good_key + version + std::string("X-Game: a") + '\0' + "b\r\n", 400},
      {"a chunked body", good_key + version + "Transfer-Encoding: chunked\r\n", 413},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    RawSocket raw(server.port());
    REQUIRE(raw.send_all(RawSocket::upgrade_request(server.port(), c.headers)));
    REQUIRE(run_until(loop, [&] {
      raw.poll();
      return raw.response_complete() || raw.peer_closed();
    }));
    CHECK(raw.status() == c.status);
  }
  CHECK(server.stop() == 0);
}

TEST_CASE("sockets stuck in their handshake are bounded apart from max-connections",
          "[server][integration][handshake]") {
  constexpr int kPending = 4;
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret, "--max-pending-handshakes", "4",
                                       "--handshake-timeout-ms", "60000"});
  INFO(server.error());
  REQUIRE(server.start());
  transport::EventLoop loop;
  RawClient canary(loop, server.url());
  REQUIRE(canary.wait_open());  // an open connection is no longer pending
  canary.send_auth(mint_token("canary"));
  REQUIRE(canary.wait_for_message(MessageType::AuthSuccess));
  canary.send(R"({"type":"subscribe","channel":"canary"})");
  REQUIRE(canary.wait_for_message(MessageType::Subscribed));

  // Connect and say nothing: each holds a handshake slot for a minute.
  std::vector<std::unique_ptr<RawSocket>> silent;
  for (int n = 0; n < kPending; ++n) {
    silent.push_back(std::make_unique<RawSocket>(server.port()));
    REQUIRE(silent.back()->connected());
  }
  // At the bound the server stops accepting: one more connection waits in
  // the listen backlog, unread and unanswered, and is not dropped.
  RawSocket over(server.port());
  REQUIRE(over.connected());
  REQUIRE(over.send_all(RawSocket::rfc6455_request(server.port())));
  check_canary(loop, canary);  // the server is busy with other work meanwhile
  over.poll();
  CHECK_FALSE(over.response_complete());
  CHECK_FALSE(over.peer_closed());
  for (auto& socket : silent) {
    socket->poll();
    CHECK_FALSE(socket->peer_closed());
  }

  // One silent socket leaves: its slot goes to the waiting connection,
  // which completes its handshake.
  silent.pop_back();
  REQUIRE(run_until(loop, [&] {
    over.poll();
    return over.response_complete() || over.peer_closed();
  }));
  CHECK(over.status() == 101);
  CHECK(server.stop() == 0);
}

TEST_CASE("accepting and closing thousands of connections keeps no memory per connection",
          "[server][integration][handshake]") {
  const NoAsanQuarantineForChildren measurable;  // RSS counts what the server keeps
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret});
  INFO(server.error());
  REQUIRE(server.start());
  transport::EventLoop loop;
  const auto churn = [&](int connections) {
    for (int n = 0; n < connections; ++n) {
      RawSocket socket(server.port());
      REQUIRE(socket.send_all(RawSocket::rfc6455_request(server.port())));
      REQUIRE(run_until(loop, [&] {
        socket.poll();
        return socket.response_complete() || socket.peer_closed();
      }));
      REQUIRE(socket.status() == 101);
    }  // closed here: the server frees it
  };
  churn(500);  // allocator warm-up
  const size_t before = resident_bytes(server.pid());
  constexpr int kConnections = 3000;
  churn(kConnections);
  const double grown = grown_mib(before, resident_bytes(server.pid()));
  // Keeping each connection's 20 KB block would be about 60 MiB.
  std::printf("%d connections accepted and closed: server RSS grew %.1f MiB\n", kConnections, grown);
  CHECK(grown < rss_budget_mib(8));
  CHECK(server.stop() == 0);
}

}  // namespace tether::server::test
