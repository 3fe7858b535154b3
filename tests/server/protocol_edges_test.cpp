// Issue 9, item 10: what PROTOCOL.md decides for the edges, against the real
// server, each with a canary that keeps being served. Raw invalid UTF-8 in a
// text frame closes with 1007 at the WebSocket layer, while an escaped lone
// surrogate (valid UTF-8 bytes, invalid content) is the `invalid_utf8` error
// and the connection carries on; a binary frame closes with 1003 and a
// reason; a full server answers the handshake with HTTP 503 and Retry-After;
// a connection that never authenticates, or never completes its handshake,
// is closed by the auth or handshake timeout.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "core/message.h"
#include "raw_client.h"
#include "transport/raw_socket.h"
#include "server_harness.h"
#include "server_process.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::server::test {
namespace {

using core::ClientEvent;
using core::MessageType;
using test_support::kServerBinary;
using test_support::kTestSecret;
using test_support::mint_token;
using test_support::RawClient;
using test_support::run_until;
using test_support::ServerProcess;
using test_support::TestClient;
using transport::test::RawSocket;

void authenticate(RawClient& raw, const std::string& user) {
  REQUIRE(raw.wait_open());
  raw.send_auth(mint_token(user));
  REQUIRE(raw.wait_for_message(MessageType::AuthSuccess));
  raw.send(R"({"type":"subscribe","channel":"canary"})");
  REQUIRE(raw.wait_for_message(MessageType::Subscribed));
}

size_t channel_messages(const RawClient& raw) {
  size_t n = 0;
  for (const core::Message& m : raw.messages()) n += m.type == MessageType::Channel ? 1 : 0;
  return n;
}

// The canary publishes on its own channel and gets the echo.
void check_canary(transport::EventLoop& loop, RawClient& canary) {
  const size_t before = channel_messages(canary);
  canary.send(R"({"channel":"canary","data":"tweet"})");
  CHECK(run_until(loop, [&] { return channel_messages(canary) == before + 1; }));
  CHECK(canary.is_open());
}

bool upgrade(transport::EventLoop& loop, RawSocket& raw, uint16_t port) {
  if (!raw.send_all(RawSocket::rfc6455_request(port))) return false;
  return run_until(loop, [&] {
    raw.poll();
    return raw.response_complete();
  }) && raw.status() == 101;
}

bool wait_close_frame(transport::EventLoop& loop, RawSocket& raw) {
  return run_until(loop, [&] {
    raw.poll();
    return raw.close_code() != 0 || raw.peer_closed();
  });
}

bool has_text(const RawSocket& raw, const std::string& needle) {
  for (const std::string& text : raw.texts()) {
    if (text.find(needle) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("raw invalid UTF-8 closes 1007, an escaped lone surrogate is the invalid_utf8 error and carries on",
          "[server][integration][edges]") {
  ServerHarness harness;
  RawClient canary(harness.loop, harness.url());
  authenticate(canary, "canary");
  const std::string auth = R"({"type":"auth","token":")" + mint_token("mallory") + "\"}";

  RawSocket escaped(harness.port);
  REQUIRE(upgrade(harness.loop, escaped, harness.port));
  REQUIRE(escaped.send_all(RawSocket::masked_frame(RawSocket::kText, auth)));
  REQUIRE(escaped.send_all(RawSocket::masked_frame(RawSocket::kText, R"({"channel":"canary","data":"\ud800"})")));
  REQUIRE(escaped.send_all(RawSocket::masked_frame(RawSocket::kText, R"({"type":"ping","timestamp":5})")));
  REQUIRE(run_until(harness.loop, [&] {
    escaped.poll();
    return has_text(escaped, R"("type":"pong")");
  }));
  CHECK(has_text(escaped, R"("code":"invalid_utf8")"));
  CHECK(escaped.close_code() == 0);  // still open: the pong came after the error

  for (const bool authenticated : {false, true}) {
    INFO((authenticated ? "after auth" : "before auth"));
    RawSocket raw(harness.port);
    REQUIRE(upgrade(harness.loop, raw, harness.port));
    if (authenticated) REQUIRE(raw.send_all(RawSocket::masked_frame(RawSocket::kText, auth)));
    REQUIRE(raw.send_all(RawSocket::masked_frame(RawSocket::kText, "{\"channel\":\"canary\",\"data\":\"\xc3\x28\"}")));
    REQUIRE(wait_close_frame(harness.loop, raw));
    CHECK(raw.close_code() == 1007);
  }
  CHECK(channel_messages(canary) == 0);  // neither message was delivered
  check_canary(harness.loop, canary);
}

TEST_CASE("a binary frame closes 1003 with a reason, before and after auth", "[server][integration][edges]") {
  ServerHarness harness;
  RawClient canary(harness.loop, harness.url());
  authenticate(canary, "canary");
  for (const bool authenticated : {false, true}) {
    INFO((authenticated ? "after auth" : "before auth"));
    RawSocket raw(harness.port);
    REQUIRE(upgrade(harness.loop, raw, harness.port));
    if (authenticated) {
      REQUIRE(raw.send_all(RawSocket::masked_frame(
          RawSocket::kText, R"({"type":"auth","token":")" + mint_token("mallory") + "\"}")));
      REQUIRE(run_until(harness.loop, [&] {
        raw.poll();
        return has_text(raw, "auth_success");
      }));
    }
    REQUIRE(raw.send_all(RawSocket::masked_frame(RawSocket::kBinary, R"({"channel":"canary","data":1})")));
    REQUIRE(wait_close_frame(harness.loop, raw));
    CHECK(raw.close_code() == 1003);
    CHECK(raw.close_reason() == "binary frames are not supported");
  }
  CHECK(channel_messages(canary) == 0);
  check_canary(harness.loop, canary);
}

TEST_CASE("binary payloads through the real server: bytes to a binary subscriber, an error to a text-only one",
          "[server][integration][edges][binary]") {
  ServerHarness harness;
  TestClient binary_sub(harness.loop, harness.url(), mint_token("bin"));
  binary_sub.connect();
  REQUIRE(binary_sub.wait_ready());
  CHECK(binary_sub.session().binary_negotiated());
  binary_sub.subscribe("room");
  REQUIRE(binary_sub.wait_for([&] { return binary_sub.count(ClientEvent::Kind::Subscribed) == 1; }));
  RawClient text_sub(harness.loop, harness.url());  // a v1 client: its auth does not offer binary
  REQUIRE(text_sub.wait_open());
  text_sub.send_auth(mint_token("text"));
  REQUIRE(text_sub.wait_for_message(MessageType::AuthSuccess));
  CHECK_FALSE(text_sub.find(MessageType::AuthSuccess)->binary);
  text_sub.send(R"({"type":"subscribe","channel":"room"})");
  REQUIRE(text_sub.wait_for_message(MessageType::Subscribed));

  TestClient publisher(harness.loop, harness.url(), mint_token("pub"));
  publisher.connect();
  REQUIRE(publisher.wait_ready());
  const std::string bytes("\x00\xff\xfe{\"not\": json\x00", 16);
  REQUIRE(publisher.publish_bytes("room", bytes, true) == core::SendStatus::Ok);
  REQUIRE(publisher.wait_for([&] { return publisher.count(ClientEvent::Kind::Acked) == 1; }));

  REQUIRE(binary_sub.wait_for([&] { return binary_sub.messages("room").size() == 1; }));
  const ClientEvent* got = binary_sub.find(ClientEvent::Kind::Message);
  REQUIRE(got != nullptr);
  CHECK(got->payload == core::PayloadKind::Binary);
  CHECK(got->data == bytes);

  // The text-only client is told, stays connected, and still gets JSON.
  REQUIRE(text_sub.wait_for_message(MessageType::Error, "binary_unsupported"));
  CHECK(text_sub.is_open());
  REQUIRE(publisher.publish("room", "{\"after\":1}", true) == core::SendStatus::Ok);
  REQUIRE(run_until(harness.loop, [&] { return channel_messages(text_sub) == 1; }));
  CHECK(text_sub.is_open());
}

TEST_CASE("a full server answers the handshake with 503 and Retry-After, the client backs off and gets in later",
          "[server][integration][edges]") {
  ServerProcess server(kServerBinary, {"--jwt-secret", kTestSecret, "--max-connections", "2"});
  INFO(server.error());
  REQUIRE(server.start());
  transport::EventLoop loop;
  RawClient canary(loop, server.url());
  authenticate(canary, "canary");
  auto second = std::make_unique<RawClient>(loop, server.url());
  authenticate(*second, "second");

  RawSocket raw(server.port());
  REQUIRE(raw.send_all(RawSocket::rfc6455_request(server.port())));
  REQUIRE(run_until(loop, [&] {
    raw.poll();
    return raw.response_complete();
  }));
  CHECK(raw.status() == 503);
  CHECK(raw.header("Retry-After") == "1");
  CHECK(run_until(loop, [&] { return !raw.poll(); }));  // and the server hangs up

  // The real client sees a failed connection attempt and backs off.
  TestClient late(loop, server.url(), mint_token("late"));
  late.connect();
  REQUIRE(late.wait_for([&] { return late.closes().size() >= 2; }));
  CHECK(late.closes()[0].error == transport::TransportError::WsHandshakeFailed);
  CHECK(late.closes()[0].http_status == 503);
  CHECK(late.find(ClientEvent::Kind::StateChanged,
                  [](const ClientEvent& e) { return e.state == core::ClientState::Backoff; }) != nullptr);
  CHECK(late.count(ClientEvent::Kind::AuthOk) == 0);
  check_canary(loop, canary);

  // Room frees up: the next attempt gets in.
  second->close();
  REQUIRE(second->wait_closed());
  second.reset();
  REQUIRE(late.wait_ready());
  check_canary(loop, canary);
  CHECK(server.stop() == 0);
}

TEST_CASE("a connection that never authenticates, or never finishes its handshake, is closed by its timeout",
          "[server][integration][edges]") {
  ServerHarness harness([](ServerOptions& options) {
    options.session.auth_timeout_ms = 300;
    options.handshake_timeout_ms = 300;
  });
  RawClient canary(harness.loop, harness.url());
  authenticate(canary, "canary");

  RawSocket silent(harness.port);  // a WebSocket that sends nothing
  REQUIRE(upgrade(harness.loop, silent, harness.port));
  RawSocket mute(harness.port);  // TCP only: no request at all
  REQUIRE(mute.connected());
  RawSocket slowloris(harness.port);  // a request that never ends
  REQUIRE(slowloris.send_all("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  const int64_t start = harness.loop.now_ms();
  int64_t last_line = start;
  bool slowloris_gone = false;
  REQUIRE(run_until(harness.loop, [&] {
    silent.poll();
    mute.poll();
    // A header line every 50 ms, for as long as the server takes them.
    if (!slowloris_gone && harness.loop.now_ms() - last_line >= 50) {
      last_line = harness.loop.now_ms();
      slowloris_gone = slowloris.send_some("X-Slow: 1\r\n") == 0;
    }
    slowloris_gone = slowloris_gone || !slowloris.poll();
    return silent.close_code() != 0 && mute.peer_closed() && slowloris_gone;
  }));
  const int64_t took = harness.loop.now_ms() - start;
  CHECK(took >= 250);
  CHECK(took < 3000);
  CHECK(silent.close_code() == 4002);
  CHECK(has_text(silent, R"("code":"auth_timeout")"));
  // It does not answer the close either: dropped when the close handshake times out.
  CHECK(run_until(harness.loop, [&] { return !silent.poll(); }));
  CHECK(harness.server->connection_count() == 1);  // the canary
  check_canary(harness.loop, canary);
}

}  // namespace tether::server::test
