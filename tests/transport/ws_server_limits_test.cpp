// What the WsServer refuses or bounds for one peer, driven from raw sockets:
// handshakes other than RFC 6455 version 13, request bodies, and the send
// buffer of a peer that stops reading.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "raw_socket.h"
#include "test_support.h"

namespace tether::transport {
namespace {

using test::ClientLog;
using test::EchoServer;
using test::options_for;
using test::RawSocket;
using test::run_until;

bool wait_response(EventLoop& loop, RawSocket& raw) {
  return run_until(loop, [&] {
    raw.poll();
    return raw.response_complete();
  });
}

// The echo server still serves a real client.
void check_echo(EventLoop& loop, EchoServer& server) {
  ClientLog log;
  WsClient client(loop);
  const ConnectionId id = client.connect(options_for(server.url()), log.handlers());
  REQUIRE(run_until(loop, [&] { return log.is_open(id); }));
  CHECK(client.send_text(id, "canary"));
  CHECK(run_until(loop, [&] { return log.texts.size() == 1; }));
  CHECK(client.close(id, 1000, ""));
  CHECK(run_until(loop, [&] { return log.is_closed(id); }));
}

}  // namespace

TEST_CASE("only version 13 handshakes are accepted, others get 426 with Sec-WebSocket-Version 13", "[transport]") {
  EventLoop loop;
  EchoServer server(loop);
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const struct {
    const char* name;
    std::string request;
  } legacy[] = {
      {"hixie-76", RawSocket::upgrade_request(server.port,
                                              "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
                                              "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n") +
                       "^n:ds[4U"},
      {"hybi-07", RawSocket::upgrade_request(server.port, key + "Sec-WebSocket-Version: 7\r\n")},
      {"hybi-08", RawSocket::upgrade_request(server.port, key + "Sec-WebSocket-Version: 8\r\n")},
      {"13 among others", RawSocket::upgrade_request(server.port, key + "Sec-WebSocket-Version: 13, 8\r\n")},
      {"not a number", RawSocket::upgrade_request(server.port, key + "Sec-WebSocket-Version: x\r\n")},
  };
  for (const auto& attempt : legacy) {
    INFO(attempt.name);
    RawSocket raw(server.port);
    REQUIRE(raw.send_all(attempt.request));
    REQUIRE(wait_response(loop, raw));
    CHECK(raw.status() == 426);
    CHECK(raw.header("Sec-WebSocket-Version") == "13");
    // Hixie-76 frame bytes after the refusal are never read.
    raw.send_some(std::string(1, '\0') + std::string(60000, 'x'));
    CHECK(run_until(loop, [&] { return !raw.poll(); }));
  }
  CHECK(server.log.opened.empty());

  // Plain HTTP is refused the same way; a body is refused before it is read.
  RawSocket plain(server.port);
  REQUIRE(plain.send_all("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  REQUIRE(wait_response(loop, plain));
  CHECK(plain.status() == 426);
  RawSocket body(server.port);
  REQUIRE(body.send_all(RawSocket::upgrade_request(server.port, key + "Sec-WebSocket-Version: 13\r\n"
                                                                      "Content-Length: 1000\r\n")));
  REQUIRE(wait_response(loop, body));
  CHECK(body.status() == 413);

  RawSocket good(server.port);
  REQUIRE(good.send_all(RawSocket::rfc6455_request(server.port)));
  REQUIRE(wait_response(loop, good));
  CHECK(good.status() == 101);
  CHECK(run_until(loop, [&] { return server.log.opened.size() == 1; }));
  check_echo(loop, server);
}

TEST_CASE("writable() turns false at max_send_buffer_bytes for a peer that stops reading, on_writable follows",
          "[transport]") {
  EventLoop loop;
  ServerListenOptions options = test::echo_options();
  options.max_send_buffer_bytes = 64 * 1024;
  std::vector<ConnectionId> opened;
  std::vector<ConnectionId> drained;
  std::vector<ConnectionId> closed;
  ServerHandlers handlers;
  handlers.on_open = [&](ConnectionId id, std::string_view) { opened.push_back(id); };
  handlers.on_writable = [&](ConnectionId id) { drained.push_back(id); };
  handlers.on_closed = [&](ConnectionId id, const CloseInfo&) { closed.push_back(id); };
  WsServer server(loop, handlers);
  const ListenResult listening = server.listen(options);
  REQUIRE(listening.ok());

  RawSocket raw(listening.port, 4096);  // a small window: the kernel hides little
  REQUIRE(raw.send_all(RawSocket::rfc6455_request(listening.port)));
  REQUIRE(run_until(loop, [&] {
    raw.poll();
    return raw.status() == 101 && opened.size() == 1;
  }));
  const ConnectionId id = opened[0];
  CHECK(server.writable(id));
  CHECK_FALSE(server.writable(id + 1000));

  // Write until the bound, letting the loop run so the socket takes what it can.
  const std::string frame(16 * 1024, 'f');
  size_t written = 0;
  while (written < (64u << 20) && server.writable(id)) {
    REQUIRE(server.send_text(id, frame));
    written += frame.size();
    const int64_t until = loop.now_ms() + 1;
    run_until(loop, [&] { return loop.now_ms() >= until; });
  }
  REQUIRE_FALSE(server.writable(id));
  const std::size_t unsent = server.buffered_bytes(id);
  CHECK(unsent >= options.max_send_buffer_bytes);
  CHECK(unsent < options.max_send_buffer_bytes + frame.size());
  INFO("written " << written << " bytes, " << unsent << " unsent");
  // Nothing drains while the peer reads nothing.
  const int64_t until = loop.now_ms() + 200;
  run_until(loop, [&] { return loop.now_ms() >= until; });
  CHECK(drained.empty());
  CHECK_FALSE(server.writable(id));

  // Reading resumes: the server hears it once the buffer is below the bound.
  REQUIRE(run_until(loop, [&] {
    raw.poll();
    return !drained.empty();
  }));
  CHECK(drained == std::vector<ConnectionId>{id});
  CHECK(server.writable(id));
  REQUIRE(run_until(loop, [&] {
    raw.poll();
    return raw.input().size() >= written;  // every frame arrives, headers and all
  }));
  CHECK(server.buffered_bytes(id) == 0);
  CHECK(closed.empty());

  // A connection that ends while over the bound is never reported writable.
  REQUIRE(server.send_text(id, std::string(200 * 1024, 'g')));
  REQUIRE(server.send_text(id, std::string(200 * 1024, 'h')));
  CHECK_FALSE(server.writable(id));
  const std::size_t drains = drained.size();
  CHECK(server.abort(id));
  REQUIRE(run_until(loop, [&] { return closed.size() == 1; }));
  const int64_t later = loop.now_ms() + 100;
  run_until(loop, [&] { return loop.now_ms() >= later; });
  CHECK(drained.size() == drains);
}

}  // namespace tether::transport
