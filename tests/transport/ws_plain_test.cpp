// Plain ws:// client and server against each other on 127.0.0.1.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_support.h"

namespace tether::transport {
namespace {

using test::ClientLog;
using test::EchoServer;
using test::options_for;
using test::run_until;

ServerListenOptions with_subprotocol(std::string subprotocol) {
  ServerListenOptions options = test::echo_options();
  options.subprotocol = std::move(subprotocol);
  return options;
}

TEST_CASE("ws client and server exchange text frames", "[transport]") {
  EventLoop loop;
  EchoServer server(loop, with_subprotocol("tether.v1"));
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(id != kNoConnection);
  CHECK_FALSE(client.send_text(id, "too early"));
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
  REQUIRE(server.log.opened.size() == 1);
  CHECK(server.log.opened[0].second == "127.0.0.1");

  CHECK(client.send_text(id, R"({"channel":"chat","data":"héllo"})"));
  REQUIRE(run_until(loop, [&] { return log.texts.size() == 1; }));
  CHECK(log.texts[0] == R"({"channel":"chat","data":"héllo"})");
  CHECK(server.log.texts == log.texts);
  CHECK(server.server.open_connection_count() == 1);

  // Sends only queue; the loop writes them out.
  CHECK(client.buffered_bytes(id) == 0);
  CHECK(client.send_text(id, std::string(100000, 'z')));
  CHECK(client.buffered_bytes(id) >= 100000);
  REQUIRE(run_until(loop, [&] { return log.texts.size() == 2; }));
  CHECK(client.buffered_bytes(id) == 0);
  CHECK(client.buffered_bytes(12345) == 0);
  CHECK(server.server.buffered_bytes(server.only_connection()) == 0);
}

TEST_CASE("many frames arrive complete and in order both ways", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));

  constexpr int kFrames = 2000;
  std::vector<std::string> sent;
  for (int i = 0; i < kFrames; ++i) {
    sent.push_back("frame " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 300), 'x'));
    REQUIRE(client.send_text(id, sent.back()));
  }
  REQUIRE(run_until(loop, [&] { return log.texts.size() == sent.size(); }));
  CHECK(server.log.texts == sent);
  CHECK(log.texts == sent);
}

TEST_CASE("a close handshake started by the client is clean on both sides", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
  const ConnectionId server_id = server.only_connection();

  CHECK(client.close(id, 4000, "bye"));
  CHECK_FALSE(client.close(id, 4000, "again"));
  CHECK_FALSE(client.send_text(id, "after close"));
  REQUIRE(run_until(loop, [&] { return log.is_closed(id) && server.log.closed.count(server_id); }));

  const CloseInfo& mine = log.closed.at(id);
  CHECK(mine.code == 4000);
  CHECK(mine.reason == "bye");
  CHECK(mine.initiator == CloseInitiator::Local);
  CHECK(mine.clean);
  CHECK(mine.error == TransportError::None);

  const CloseInfo& theirs = server.log.closed.at(server_id);
  CHECK(theirs.code == 4000);
  CHECK(theirs.reason == "bye");
  CHECK(theirs.initiator == CloseInitiator::Remote);
  CHECK(theirs.clean);
  CHECK(theirs.error == TransportError::None);
}

TEST_CASE("a close handshake started by the server is clean on both sides", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
  const ConnectionId server_id = server.only_connection();

  CHECK(server.server.close(server_id, 4001, "kicked"));
  REQUIRE(run_until(loop, [&] { return log.is_closed(id) && server.log.closed.count(server_id); }));

  const CloseInfo& mine = log.closed.at(id);
  CHECK(mine.code == 4001);
  CHECK(mine.reason == "kicked");
  CHECK(mine.initiator == CloseInitiator::Remote);
  CHECK(mine.clean);
  CHECK(mine.error == TransportError::None);

  const CloseInfo& theirs = server.log.closed.at(server_id);
  CHECK(theirs.code == 4001);
  CHECK(theirs.initiator == CloseInitiator::Local);
  CHECK(theirs.clean);
  CHECK(server.server.open_connection_count() == 0);
}

TEST_CASE("close_all sends every client the same close code", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId first = client.connect(options_for(server.url()), log.handlers());
  const ConnectionId second = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(first) && log.is_open(second); }));
  REQUIRE(server.server.open_connection_count() == 2);

  server.server.stop_listening();
  CHECK(server.server.close_all(1001, "server shutting down") == 2);
  REQUIRE(run_until(loop, [&] { return log.closed.size() == 2 && server.log.closed.size() == 2; }));
  for (const auto& [id, info] : log.closed) {
    CHECK(info.code == 1001);
    CHECK(info.reason == "server shutting down");
    CHECK(info.initiator == CloseInitiator::Remote);
    CHECK(info.clean);
  }
  CHECK(server.server.open_connection_count() == 0);
}

TEST_CASE("a message over the size limit closes with 1009 MessageTooBig", "[transport]") {
  EventLoop loop;
  ServerListenOptions limits = test::echo_options();
  limits.max_message_size = 1024;
  EchoServer server(loop, limits);
  ClientLog log;
  WsClient client(loop);

  SECTION("limit of the receiving server") {
    const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
    REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
    CHECK(client.send_text(id, std::string(1024, 'a')));  // exactly the limit passes
    REQUIRE(run_until(loop, [&] { return log.texts.size() == 1; }));
    CHECK(client.send_text(id, std::string(1025, 'b')));
    REQUIRE(run_until(loop, [&] { return log.is_closed(id) && server.log.closed.size() == 1; }));
    CHECK(log.closed.at(id).code == 1009);
    CHECK(log.closed.at(id).error == TransportError::MessageTooBig);
    const CloseInfo& theirs = server.log.closed.begin()->second;
    CHECK(theirs.code == 1009);
    CHECK(theirs.error == TransportError::MessageTooBig);
    CHECK(theirs.initiator == CloseInitiator::Local);  // the server refused the frame
    CHECK(log.closed.at(id).initiator == CloseInitiator::Remote);
  }

  SECTION("limit of the receiving client") {
    ClientConnectOptions options = options_for(server.url());
    options.max_message_size = 100;
    const ConnectionId id = client.connect(options, log.handlers());
    REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
    CHECK(client.send_text(id, std::string(500, 'c')));  // the server accepts 500 and echoes it
    REQUIRE(run_until(loop, [&] { return log.is_closed(id); }));
    CHECK(log.texts.empty());
    CHECK(log.closed.at(id).code == 1009);
    CHECK(log.closed.at(id).error == TransportError::MessageTooBig);
    CHECK(log.closed.at(id).initiator == CloseInitiator::Local);  // we refused their frame
  }
}

TEST_CASE("subprotocol negotiation accepts tether.v1 or none and rejects others", "[transport]") {
  EventLoop loop;
  ClientLog log;
  WsClient client(loop);

  SECTION("server wants tether.v1") {
    EchoServer server(loop, with_subprotocol("tether.v1"));
    ClientConnectOptions offers_none = options_for(server.url());
    offers_none.subprotocols.clear();
    ClientConnectOptions offers_other = options_for(server.url());
    offers_other.subprotocols = {"other.v2"};
    const ConnectionId good = client.connect(options_for(server.url()), log.handlers());
    const ConnectionId plain = client.connect(offers_none, log.handlers());
    const ConnectionId other = client.connect(offers_other, log.handlers());
    REQUIRE(run_until(loop, [&] { return log.is_open(good) && log.is_open(plain) && log.is_closed(other); }));
    const CloseInfo& rejected = log.closed.at(other);
    CHECK(rejected.error == TransportError::WsHandshakeFailed);
    CHECK(rejected.http_status == 400);
    CHECK(server.log.opened.size() == 2);
  }

  SECTION("server accepts no subprotocol while the client requires one") {
    EchoServer server(loop, with_subprotocol(""));
    const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
    REQUIRE(run_until(loop, [&] { return log.is_closed(id); }));
    CHECK(log.opened.empty());
    CHECK(log.closed.at(id).error == TransportError::WsHandshakeFailed);
    CHECK_THAT(log.closed.at(id).detail, Catch::Contains("subprotocol"));
  }
}

TEST_CASE("connections beyond max_connections are refused with HTTP 503", "[transport]") {
  EventLoop loop;
  ServerListenOptions limits = test::echo_options();
  limits.max_connections = 2;
  EchoServer server(loop, limits);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId first = client.connect(options_for(server.url()), log.handlers());
  const ConnectionId second = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(first) && log.is_open(second); }));

  const ConnectionId third = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_closed(third); }));
  CHECK(log.closed.at(third).error == TransportError::WsHandshakeFailed);
  CHECK(log.closed.at(third).http_status == 503);
  CHECK(server.log.opened.size() == 2);

  // Room frees up once a connection has ended.
  CHECK(client.close(first, 1000, ""));
  REQUIRE(run_until(loop, [&] { return server.log.closed.size() == 1; }));
  const ConnectionId fourth = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(fourth); }));
}

TEST_CASE("calls with unknown, stale or invalid arguments are harmless", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  CHECK_FALSE(client.send_text(12345, "x"));
  CHECK_FALSE(client.close(12345, 1000, ""));
  CHECK_FALSE(client.abort(12345));
  CHECK_FALSE(client.send_text(kNoConnection, "x"));
  CHECK_FALSE(server.server.send_text(999, "x"));
  CHECK_FALSE(server.server.close(999, 1000, ""));
  CHECK_FALSE(server.server.abort(999));

  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
  const ConnectionId server_id = server.only_connection();
  CHECK_FALSE(client.close(id, 1006, "reserved code"));  // may not be sent
  CHECK_FALSE(client.close(id, 999, "out of range"));
  CHECK(client.send_text(id, "still open"));
  CHECK(client.close(id, 1000, std::string(300, 'r')));  // reason is cut, not refused
  REQUIRE(run_until(loop, [&] { return log.is_closed(id) && server.log.closed.count(server_id); }));
  CHECK(log.closed.at(id).reason.size() == 123);

  // Both ids are stale now, and a new connection gets a new id.
  CHECK_FALSE(client.send_text(id, "x"));
  CHECK_FALSE(client.close(id, 1000, ""));
  CHECK_FALSE(client.abort(id));
  CHECK_FALSE(server.server.send_text(server_id, "x"));
  CHECK_FALSE(server.server.close(server_id, 1000, ""));
  const ConnectionId next = client.connect(options_for(server.url()), log.handlers());
  CHECK(next != id);
  REQUIRE(run_until(loop, [&] { return log.is_open(next); }));
  CHECK(server.only_connection() != server_id);
}

}  // namespace
}  // namespace tether::transport
