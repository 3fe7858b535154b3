// Ends that are not a close handshake: aborts, teardown, timeouts, failed
// connects, bad options, listen errors.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>

#include "test_support.h"

namespace tether::transport {
namespace {

using test::ClientLog;
using test::elapsed_ms;
using test::EchoServer;
using test::options_for;
using test::run_until;
using test::SilentListener;

TEST_CASE("abort drops the connection as a network failure would", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
  const ConnectionId server_id = server.only_connection();

  SECTION("from the client") {
    CHECK(client.abort(id));
    CHECK_FALSE(log.is_closed(id));  // reported later, never from inside the call
    CHECK_FALSE(client.abort(id));
  }
  SECTION("from the server") {
    CHECK(server.server.abort(server_id));
    CHECK(server.log.closed.empty());
  }
  REQUIRE(run_until(loop, [&] { return log.is_closed(id) && server.log.closed.count(server_id); }));
  for (const CloseInfo* info : {&log.closed.at(id), &server.log.closed.at(server_id)}) {
    CHECK(info->code == 1006);
    CHECK(info->initiator == CloseInitiator::Transport);
    CHECK_FALSE(info->clean);
    CHECK(info->error == TransportError::ConnectionLost);
  }
}

TEST_CASE("destroying a client mid-connect or open is quick and silent", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  SilentListener silent;
  ClientLog log;
  auto client = std::make_unique<WsClient>(loop);
  const ConnectionId open = client->connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(open); }));
  const std::string silent_host = "127.0.0.1:" + std::to_string(silent.port());
  client->connect(options_for("ws://" + silent_host), log.handlers());   // stuck in the upgrade
  client->connect(options_for("wss://" + silent_host), log.handlers());  // stuck in TLS
  client->connect(options_for("ws://" + silent_host), log.handlers());   // still resolving/connecting
  REQUIRE(run_until(loop, [&] { return silent.peers_sent_data(2); }));

  const auto start = std::chrono::steady_clock::now();
  client.reset();
  CHECK(elapsed_ms(start) < 100);

  // Every socket is dropped at once: the peers see it, the client reports nothing.
  REQUIRE(run_until(loop, [&] { return server.log.closed.size() == 1 && silent.peers_closed(); }));
  CHECK(server.log.closed.begin()->second.error == TransportError::ConnectionLost);
  CHECK(log.closed.empty());
  CHECK(log.opened.size() == 1);
}

TEST_CASE("destroying a server with open connections is quick and silent", "[transport]") {
  EventLoop loop;
  ClientLog log;
  WsClient client(loop);
  test::ServerLog server_log;  // outlives the server, to see that it stays silent
  auto server = std::make_unique<WsServer>(loop, server_log.handlers());
  const ListenResult listening = server->listen(test::echo_options());
  REQUIRE(listening.ok());
  const std::string url = "ws://127.0.0.1:" + std::to_string(listening.port);
  const ConnectionId id = client.connect(options_for(url), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(id) && server_log.opened.size() == 1; }));

  const auto start = std::chrono::steady_clock::now();
  server.reset();
  CHECK(elapsed_ms(start) < 100);
  REQUIRE(run_until(loop, [&] { return log.is_closed(id); }));
  CHECK(log.closed.at(id).error == TransportError::ConnectionLost);
  CHECK(server_log.closed.empty());

  // Nothing listens any more.
  const ConnectionId again = client.connect(options_for(url), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_closed(again); }));
  CHECK(log.closed.at(again).error == TransportError::ConnectFailed);
}

TEST_CASE("a client may destroy itself from inside its own handler", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  auto client = std::make_unique<WsClient>(loop);
  bool closed_called = false;
  ClientHandlers handlers;
  ConnectionId id = kNoConnection;
  handlers.on_open = [&](ConnectionId) { client->send_text(id, "ping"); };
  handlers.on_text = [&](ConnectionId, std::string_view) { client.reset(); };
  handlers.on_closed = [&](ConnectionId, const CloseInfo&) { closed_called = true; };
  id = client->connect(options_for(server.url()), handlers);
  REQUIRE(run_until(loop, [&] { return client == nullptr && server.log.closed.size() == 1; }));
  CHECK_FALSE(closed_called);
}

TEST_CASE("a connect that does not finish in time ends with Timeout", "[transport]") {
  EventLoop loop;
  SilentListener silent;
  ClientLog log;
  WsClient client(loop);
  ClientConnectOptions options = options_for("ws://127.0.0.1:" + std::to_string(silent.port()));
  options.connect_timeout_ms = 200;
  const auto start = std::chrono::steady_clock::now();
  const ConnectionId id = client.connect(options, log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_closed(id); }));
  CHECK(elapsed_ms(start) >= 200);
  CHECK(log.closed.at(id).error == TransportError::Timeout);
  CHECK(log.closed.at(id).initiator == CloseInitiator::Transport);
  CHECK(log.opened.empty());
}

TEST_CASE("closing before the connection opens abandons the attempt", "[transport]") {
  EventLoop loop;
  SilentListener silent;
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for("ws://127.0.0.1:" + std::to_string(silent.port())),
                                         log.handlers());
  REQUIRE(run_until(loop, [&] { return silent.peers_sent_data(1); }));
  CHECK(client.close(id, 1000, "never mind"));
  CHECK_FALSE(log.is_closed(id));
  REQUIRE(run_until(loop, [&] { return log.is_closed(id) && silent.peers_closed(); }));
  const CloseInfo& info = log.closed.at(id);
  CHECK(info.initiator == CloseInitiator::Local);
  CHECK(info.code == 1000);
  CHECK_FALSE(info.clean);
  CHECK(info.error == TransportError::None);
}

TEST_CASE("connecting to a closed port fails quickly with ConnectFailed", "[transport]") {
  EventLoop loop;
  ClientLog log;
  WsClient client(loop);
  const auto start = std::chrono::steady_clock::now();
  const ConnectionId id =
      client.connect(options_for("ws://127.0.0.1:" + std::to_string(test::closed_port())), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_closed(id); }));
  CHECK(elapsed_ms(start) < 2000);
  CHECK(log.closed.at(id).error == TransportError::ConnectFailed);
  CHECK(log.closed.at(id).code == 1006);
  CHECK_FALSE(log.closed.at(id).detail.empty());
}

TEST_CASE("invalid client options are reported as InvalidOptions, asynchronously", "[transport]") {
  EventLoop loop;
  ClientLog log;
  WsClient client(loop);
  ClientConnectOptions bad_pin = options_for("wss://127.0.0.1:1/");
  bad_pin.pinned_spki_sha256 = {"0123456789abcdef"};  // hex, not base64 of a digest
  ClientConnectOptions missing_ca = options_for("wss://127.0.0.1:1/");
  missing_ca.ca_file = "/nonexistent/ca.pem";
  const std::vector<ClientConnectOptions> attempts = {
      options_for("http://127.0.0.1:1/"), options_for("ws://"), options_for("ws://[::1"),
      options_for("127.0.0.1:80"), bad_pin, missing_ca};
  std::vector<ConnectionId> ids;
  for (const ClientConnectOptions& options : attempts) {
    ids.push_back(client.connect(options, log.handlers()));
    CHECK(ids.back() != kNoConnection);
  }
  CHECK(log.closed.empty());
  REQUIRE(run_until(loop, [&] { return log.closed.size() == attempts.size(); }));
  for (ConnectionId id : ids) {
    INFO(log.closed.at(id).detail);
    CHECK(log.closed.at(id).error == TransportError::InvalidOptions);
  }
  CHECK_THAT(log.closed.at(ids[5]).detail, Catch::Contains("ca_file"));
}

TEST_CASE("listen reports why it cannot listen", "[transport]") {
  EventLoop loop;
  EchoServer taken(loop);
  test::ServerLog log;
  WsServer server(loop, log.handlers());
  ServerListenOptions options;

  options.port = taken.port;
  CHECK(server.listen(options).error == ListenError::AddressInUse);
  options.port = 0;
  options.host = "not a host name";
  CHECK(server.listen(options).error == ListenError::InvalidAddress);
  options.host = "127.0.0.1";
  options.tls_cert_file = "/nonexistent/cert.pem";
  options.tls_key_file = "/nonexistent/key.pem";
  const ListenResult no_cert = server.listen(options);
  CHECK(no_cert.error == ListenError::TlsConfigInvalid);
  CHECK_THAT(no_cert.detail, Catch::Contains("tls_cert_file"));
  options.tls_key_file.clear();
  CHECK(server.listen(options).error == ListenError::TlsConfigInvalid);

  options.tls_cert_file.clear();
  const ListenResult first = server.listen(options);
  REQUIRE(first.ok());
  CHECK(server.listen(options).error == ListenError::AlreadyListening);
  server.stop_listening();
  CHECK(server.listen(options).ok());
}

TEST_CASE("stop_listening refuses new clients and keeps open ones", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  ClientLog log;
  WsClient client(loop);
  const ConnectionId kept = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(kept); }));
  server.server.stop_listening();
  const ConnectionId refused = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_closed(refused); }));
  CHECK(log.closed.at(refused).error == TransportError::ConnectFailed);
  CHECK(client.send_text(kept, "still here"));
  REQUIRE(run_until(loop, [&] { return log.texts.size() == 1; }));
}

}  // namespace
}  // namespace tether::transport
