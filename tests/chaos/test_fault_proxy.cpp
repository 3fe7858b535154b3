// The fault proxy itself, between two plain TCP sockets: it forwards, and
// each fault does to both ends what it claims.
#include <catch2/catch.hpp>
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "fault_proxy.h"

using namespace tether::chaos;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kDeadlineMs = 10000;

// One end of a TCP connection that reads whatever arrives, and remembers how
// the connection ended: an orderly FIN, or a reset.
struct TcpEnd {
  explicit TcpEnd(asio::io_context& io) : socket(io) {}

  void start_reading() {
    socket.async_read_some(asio::buffer(buffer), [this](const asio::error_code& error, size_t bytes) {
      if (error == asio::error::eof) {
        fin = true;
      } else if (error) {
        reset = error == asio::error::connection_reset;
        failed = true;
      } else {
        input.append(buffer, bytes);
        start_reading();
      }
    });
  }
  void write(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }

  asio::ip::tcp::socket socket;
  char buffer[4096];
  std::string input;
  bool fin = false;
  bool reset = false;
  bool failed = false;
};

// Runs `io` until `done()` or the deadline; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done, int64_t timeout_ms = kDeadlineMs) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A client connected through the proxy to an upstream acceptor of our own.
struct ProxiedPair {
  ProxiedPair() {
    upstream.open(asio::ip::tcp::v4());
    upstream.bind({asio::ip::make_address("127.0.0.1"), 0});
    upstream.listen();
    proxy = std::make_unique<FaultProxy>(upstream.local_endpoint().port());
    REQUIRE(proxy->start());
    upstream.async_accept(server.socket, [this](const asio::error_code& error) { accepted = !error; });
    client.socket.connect({asio::ip::make_address("127.0.0.1"), proxy->port()});
    REQUIRE(run_until(io, [&] { return accepted; }));
    client.start_reading();
    server.start_reading();
    link = proxy->healthy_links().at(0);
  }

  asio::io_context io;
  asio::ip::tcp::acceptor upstream{io};
  std::unique_ptr<FaultProxy> proxy;
  TcpEnd client{io};
  TcpEnd server{io};
  bool accepted = false;
  LinkId link = kAllLinks;
};

}  // namespace

TEST_CASE("fault proxy: forwards both ways and passes a FIN on", "[chaos][proxy]") {
  ProxiedPair pair;
  pair.client.write("hello");
  REQUIRE(run_until(pair.io, [&] { return pair.server.input == "hello"; }));
  pair.server.write("world!");
  REQUIRE(run_until(pair.io, [&] { return pair.client.input == "world!"; }));

  pair.client.socket.shutdown(asio::ip::tcp::socket::shutdown_send);
  REQUIRE(run_until(pair.io, [&] { return pair.server.fin; }));
  pair.server.socket.shutdown(asio::ip::tcp::socket::shutdown_send);
  REQUIRE(run_until(pair.io, [&] { return pair.client.fin; }));
  // Both ends done: the proxy lets the link go.
  REQUIRE(run_until(pair.io, [&] { return pair.proxy->stats().open_links == 0; }));
  REQUIRE(run_until(pair.io, [&] { return pair.proxy->stats().link_objects == 0; }));
  const ProxyStats stats = pair.proxy->stats();
  CHECK(stats.accepted == 1);
  CHECK(stats.bytes_forwarded == 11);
  CHECK(pair.proxy->counts().total() == 0);
}

TEST_CASE("fault proxy: reset sends RST to both ends", "[chaos][proxy]") {
  ProxiedPair pair;
  CHECK(pair.proxy->reset(pair.link) == 1);
  REQUIRE(run_until(pair.io, [&] { return pair.client.failed && pair.server.failed; }));
  CHECK(pair.client.reset);
  CHECK(pair.server.reset);
  CHECK(pair.proxy->counts().reset == 1);
  CHECK(pair.proxy->healthy_links().empty());
  CHECK(pair.proxy->reset(pair.link) == 0);  // gone: nothing more to hit
  REQUIRE(run_until(pair.io, [&] { return pair.proxy->stats().link_objects == 0; }));
}

TEST_CASE("fault proxy: close_with_fin ends both sides in order, dropping what was pending", "[chaos][proxy]") {
  ProxiedPair pair;
  REQUIRE(pair.proxy->set_latency(pair.link, 5000) == 1);
  pair.client.write("never arrives");
  CHECK(pair.proxy->close_with_fin(pair.link) == 1);
  REQUIRE(run_until(pair.io, [&] { return pair.client.fin && pair.server.fin; }));
  CHECK(pair.server.input.empty());
  CHECK_FALSE(pair.client.reset);
  CHECK_FALSE(pair.server.reset);
  // The peers close their side; the proxy then closes without a reset.
  pair.client.socket.close();
  pair.server.socket.close();
  REQUIRE(run_until(pair.io, [&] { return pair.proxy->stats().open_links == 0; }));
  CHECK(pair.proxy->counts().fin == 1);
}

TEST_CASE("fault proxy: a black hole swallows bytes without closing anything", "[chaos][proxy]") {
  ProxiedPair pair;
  SECTION("both directions") {
    REQUIRE(pair.proxy->blackhole(pair.link, Direction::Both) == 1);
    pair.client.write("ping");
    pair.server.write("pong");
    REQUIRE(run_until(pair.io, [&] { return pair.proxy->stats().bytes_blackholed == 8; }));
    CHECK(pair.client.input.empty());
    CHECK(pair.server.input.empty());
  }
  SECTION("towards the server only: the other way still flows") {
    REQUIRE(pair.proxy->blackhole(pair.link, Direction::ToServer) == 1);
    pair.client.write("ping");
    pair.server.write("pong");
    REQUIRE(run_until(pair.io, [&] { return pair.client.input == "pong"; }));
    REQUIRE(run_until(pair.io, [&] { return pair.proxy->stats().bytes_blackholed == 4; }));
    CHECK(pair.server.input.empty());
  }
  CHECK_FALSE(pair.client.fin);
  CHECK_FALSE(pair.client.failed);
  CHECK_FALSE(pair.server.fin);
  CHECK_FALSE(pair.server.failed);
  CHECK(pair.proxy->healthy_links().empty());
  CHECK(pair.proxy->counts().blackhole == 1);
}

TEST_CASE("fault proxy: latency delays, a throttle paces, and heal lifts both", "[chaos][proxy]") {
  ProxiedPair pair;
  REQUIRE(pair.proxy->set_latency(pair.link, 150) == 1);
  auto started = Clock::now();
  pair.client.write("slow");
  REQUIRE(run_until(pair.io, [&] { return pair.server.input == "slow"; }));
  CHECK(Clock::now() - started >= std::chrono::milliseconds(140));

  pair.proxy->heal(pair.link);
  REQUIRE(pair.proxy->set_throttle(pair.link, 20000) == 1);
  const std::string block(10000, 'b');
  started = Clock::now();
  pair.server.write(block);
  REQUIRE(run_until(pair.io, [&] { return pair.client.input.size() == block.size(); }));
  // 10,000 bytes at 20,000 bytes/s, less the first slice that goes at once.
  CHECK(Clock::now() - started >= std::chrono::milliseconds(400));
  CHECK(pair.client.input == block);

  pair.proxy->heal(pair.link);
  started = Clock::now();
  pair.server.write(block);
  REQUIRE(run_until(pair.io, [&] { return pair.client.input.size() == 2 * block.size(); }));
  CHECK(Clock::now() - started < std::chrono::milliseconds(400));
  const tether::chaos::FaultCounts counts = pair.proxy->counts();
  CHECK(counts.latency == 1);
  CHECK(counts.throttle == 1);
}

TEST_CASE("fault proxy: split segments deliver every byte intact", "[chaos][proxy]") {
  ProxiedPair pair;
  REQUIRE(pair.proxy->split_segments(pair.link, 300) == 1);
  std::string text;
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + ",";
  pair.client.write(text);
  pair.server.write(text);
  REQUIRE(run_until(pair.io, [&] { return pair.server.input == text && pair.client.input == text; }));
  CHECK(pair.proxy->counts().segments == 1);
}

TEST_CASE("fault proxy: with the upstream down, a client is reset", "[chaos][proxy]") {
  asio::io_context io;
  uint16_t closed_port = 0;
  {
    asio::ip::tcp::acceptor gone(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = gone.local_endpoint().port();
  }
  FaultProxy proxy(closed_port);
  REQUIRE(proxy.start());
  TcpEnd client(io);
  // The proxy's reset can land before connect() returns (the handshake is
  // done by the kernel, the RST follows at once): then connect() itself
  // reports the reset. Either way the client must see a reset, not a FIN.
  asio::error_code connect_error;
  client.socket.connect({asio::ip::make_address("127.0.0.1"), proxy.port()}, connect_error);
  if (connect_error) {
    CHECK(connect_error == asio::error::connection_reset);
  } else {
    client.start_reading();
    REQUIRE(run_until(io, [&] { return client.failed; }));
    CHECK(client.reset);
  }
  CHECK(proxy.stats().upstream_refused == 1);
}
