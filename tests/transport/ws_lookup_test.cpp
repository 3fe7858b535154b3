// Host name lookups (on detached threads, so a DNS server that never
// answers cannot stall a shutdown) and frames the transport refuses to send.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include "stalled_lookup.h"
#include "test_support.h"

namespace tether::transport {
namespace {

using test::ClientLog;
using test::elapsed_ms;
using test::EchoServer;
using test::options_for;
using test::run_until;

TEST_CASE("a host name resolves and connects, a name that does not resolve is DnsFailed", "[transport][dns]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId named = client.connect(options_for(server.url("localhost")), log.handlers());
  const ConnectionId unknown = client.connect(options_for("ws://nowhere.fail.tether.test:9"), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(named) && log.is_closed(unknown); }));
  CHECK(log.closed.at(unknown).error == TransportError::DnsFailed);
  CHECK(log.closed.at(unknown).initiator == CloseInitiator::Transport);
}

TEST_CASE("a lookup that never answers: the connect deadline ends it, destroying is quick",
          "[transport][dns]") {
  tether::test::StalledLookups stall;
  auto loop = std::make_unique<EventLoop>();
  ClientLog log;
  auto client = std::make_unique<WsClient>(*loop);
  ClientConnectOptions options = options_for("ws://game.stall.tether.test:9");
  options.connect_timeout_ms = 200;
  const ConnectionId timed_out = client->connect(options, log.handlers());
  REQUIRE(stall.wait_entered(1, test::kDeadlineMs));
  REQUIRE(run_until(*loop, [&] { return log.is_closed(timed_out); }));
  CHECK(log.closed.at(timed_out).error == TransportError::Timeout);

  // Two more lookups stalled; then the client and the loop go, as an
  // engine's destroy does. Before: ~io_context joined Asio's resolver
  // thread, stuck in getaddrinfo for the whole stall.
  client->connect(options_for("ws://other.stall.tether.test:9"), log.handlers());
  REQUIRE(stall.wait_entered(2, test::kDeadlineMs));
  const auto start = std::chrono::steady_clock::now();
  client.reset();
  loop.reset();
  CHECK(elapsed_ms(start) < 100);
  // The answers arrive for a client and a loop that are gone: dropped.
  stall.release();
  CHECK(stall.wait_all_returned(test::kDeadlineMs));
  CHECK(log.closed.size() == 1);
}

TEST_CASE("send_text says when the frame itself was refused", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  std::string refusal = "stale";
  CHECK_FALSE(client.send_text(id, "not open yet", &refusal));
  CHECK(refusal.empty());  // not open: nothing was refused
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));

  CHECK_FALSE(client.send_text(id, "not utf-8: \xff\xfe", &refusal));
  INFO(refusal);
  CHECK_FALSE(refusal.empty());
  CHECK(client.send_text(id, "fine", &refusal));
  CHECK(refusal.empty());
  REQUIRE(run_until(loop, [&] { return log.texts.size() == 1; }));
  CHECK(log.texts[0] == "fine");

  CHECK(client.close(id, 1000, "bye"));
  CHECK_FALSE(client.send_text(id, "closing", &refusal));
  CHECK(refusal.empty());
}

}  // namespace
}  // namespace tether::transport
