// The client engine against the real tether-server on 127.0.0.1.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include <unistd.h>

#include "engine_driver.h"
#include "transport/test_pki.h"
#include "server_process.h"
#include "tokens.h"

using namespace tether::test;
using namespace tether::test_support;
using tether::client::BalanceStrategy;
using tether::core::SendOutcome;
using tether::core::SendStatus;

namespace {

ServerProcess start_server(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--jwt-secret", kTestSecret};
  args.insert(args.end(), extra.begin(), extra.end());
  return ServerProcess(kServerBinary, args);
}

std::string payload(int n) { return "{\"n\":" + std::to_string(n) + "}"; }

}  // namespace

TEST_CASE("engine: publish, subscribe, reliable acks both ways, RTT and stats", "[client][integration]") {
  ServerProcess server = start_server();
  REQUIRE(server.start());
  EngineDriver alice(engine_config(server.url(), mint_token("alice")));
  EngineDriver bob(engine_config(server.url(), mint_token("bob")));
  REQUIRE(alice.engine);
  REQUIRE(bob.engine);
  alice.engine->connect();
  bob.engine->connect();
  REQUIRE(bob.engine->subscribe("chat") == SendStatus::Ok);
  REQUIRE(bob.wait([&] { return bob.count(ClientEvent::Kind::Subscribed) == 1; }));
  REQUIRE(alice.wait([&] { return alice.ready(); }));

  uint64_t id = 0;
  for (int i = 0; i < 20; ++i) REQUIRE(alice.engine->send("chat", payload(i), true, &id) == SendStatus::Ok);
  CHECK(id == 20);
  REQUIRE(alice.wait([&] { return alice.count(ClientEvent::Kind::Acked) == 20; }));
  REQUIRE(bob.wait([&] { return bob.messages("chat").size() == 20; }));
  const auto got = bob.messages("chat");
  for (int i = 0; i < 20; ++i) CHECK(got[static_cast<size_t>(i)] == payload(i));
  // Bob acked what the server sent him: nothing left in flight.
  REQUIRE(bob.wait([&] { return bob.engine->pool_stats().messages_received == 20; }));

  // RTT comes from heartbeats (interval 1 s).
  REQUIRE(alice.wait([&] { return alice.engine->pool_stats().rtt_ms > 0; }));
  const auto stats = alice.engine->pool_stats();
  CHECK(stats.messages_sent == 20);
  CHECK(stats.pending_acks == 0);
  CHECK(stats.queued == 0);
  CHECK(stats.bytes_sent > 20 * 8);
  CHECK(stats.routed == 20);
  CHECK(stats.rtt_ms < 1000);
}

TEST_CASE("engine: a graceful server restart with a state file is invisible: resumed, exactly once",
          "[client][integration]") {
  const std::string state_file = "/tmp/tether-engine-test-state-" + std::to_string(::getpid()) + ".json";
  std::remove(state_file.c_str());
  ServerProcess server = start_server({"--state-file", state_file});
  REQUIRE(server.start());
  EngineDriver sender(engine_config(server.url(), mint_token("sender")));
  EngineDriver receiver(engine_config(server.url(), mint_token("receiver")));
  sender.engine->connect();
  receiver.engine->connect();
  receiver.engine->subscribe("feed");
  REQUIRE(receiver.wait([&] { return receiver.count(ClientEvent::Kind::Subscribed) == 1; }));
  REQUIRE(sender.wait([&] { return sender.ready(); }));

  const int kMessages = 300;
  int sent = 0;
  uint64_t id = 0;
  // Send while the server goes down and comes back.
  for (; sent < 100; ++sent) REQUIRE(sender.engine->send("feed", payload(sent), true, &id) == SendStatus::Ok);
  sender.pump();
  REQUIRE(server.stop() == 0);
  for (; sent < 200; ++sent) REQUIRE(sender.engine->send("feed", payload(sent), true, &id) == SendStatus::Ok);
  REQUIRE(sender.wait([&] { return sender.count_state(ClientState::Backoff) >= 1; }));
  REQUIRE(server.restart());
  for (; sent < kMessages; ++sent) REQUIRE(sender.engine->send("feed", payload(sent), true, &id) == SendStatus::Ok);

  REQUIRE(sender.wait([&] { return sender.count(ClientEvent::Kind::Acked) == kMessages; }));
  REQUIRE(receiver.wait([&] { return receiver.messages("feed").size() >= kMessages; }));
  receiver.wait([] { return false; }, 300);  // anything extra would show up now
  const auto got = receiver.messages("feed");
  CHECK(got.size() == static_cast<size_t>(kMessages));
  for (size_t i = 0; i < got.size() && i < static_cast<size_t>(kMessages); ++i) CHECK(got[i] == payload(static_cast<int>(i)));
  CHECK(sender.count(ClientEvent::Kind::SendFailed) == 0);
  // Both resumed their sessions rather than starting over.
  const EngineEvent* ok = receiver.last(ClientEvent::Kind::AuthOk);
  REQUIRE(ok != nullptr);
  CHECK(ok->session.resumed);
  CHECK(sender.last(ClientEvent::Kind::AuthOk)->session.resumed);
  CHECK(server.log_contains("state loaded"));
  std::remove(state_file.c_str());
}

TEST_CASE("engine: after a crash (kill -9) the client reconnects with backoff and loses nothing it sent",
          "[client][integration]") {
  ServerProcess server = start_server();
  REQUIRE(server.start());
  EngineDriver client(engine_config(server.url(), mint_token("carol")));
  client.engine->connect();
  client.engine->subscribe("echo");
  REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::Subscribed) == 1; }));
  server.kill();
  uint64_t id = 0;
  for (int i = 0; i < 50; ++i) REQUIRE(client.engine->send("echo", payload(i), true, &id) == SendStatus::Ok);
  REQUIRE(client.wait([&] { return client.count_state(ClientState::Backoff) >= 2; }));
  const EngineEvent* backoff = nullptr;
  for (const auto& e : client.events) {
    if (e.kind == EngineEvent::Kind::Session && e.session.kind == ClientEvent::Kind::StateChanged &&
        e.session.state == ClientState::Backoff) {
      backoff = &e;
    }
  }
  REQUIRE(backoff != nullptr);
  CHECK(backoff->session.attempt >= 2);
  CHECK(backoff->session.delay_ms <= 500);
  CHECK(client.count(ClientEvent::Kind::Error, EngineEvent::Kind::Transport) >= 1);  // connect_failed
  REQUIRE(server.restart());
  // A fresh session (the crash lost the old one): resubscribed, queue flushed in order.
  REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::Acked) == 50; }));
  REQUIRE(client.wait([&] { return client.messages("echo").size() >= 50; }));
  const auto got = client.messages("echo");
  for (int i = 0; i < 50; ++i) CHECK(got[static_cast<size_t>(i)] == payload(i));
  CHECK_FALSE(client.last(ClientEvent::Kind::AuthOk)->session.resumed);
}

TEST_CASE("engine: a silent dead link is detected within interval + timeout", "[client][integration]") {
  ServerProcess server = start_server();
  REQUIRE(server.start());
  auto config = engine_config(server.url(), mint_token("dave"));
  config.session.heartbeat.interval_ms = 500;
  config.session.heartbeat.timeout_ms = 300;
  EngineDriver client(config);
  client.engine->connect();
  REQUIRE(client.wait([&] { return client.ready(); }));
  tether::client::NetworkSimulation dead;
  dead.drop_rate = 1.0;  // frames vanish both ways; the socket stays open
  client.engine->set_simulation(dead);
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(client.wait([&] { return client.count_state(ClientState::Backoff) == 1; }));
  const auto detected_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  // Interval + timeout, plus slack for a loaded CI machine's timers; without
  // the heartbeat nothing would ever notice (the socket stays open).
  CHECK(detected_ms <= 500 + 300 + 700);
  CHECK(client.last(ClientEvent::Kind::StateChanged)->session.close_code == tether::core::close_code::kHeartbeatTimeout);
  client.engine->set_simulation({});
  REQUIRE(client.wait([&] { return client.ready(); }));
}

TEST_CASE("engine: a host that stops pumping stays connected", "[client][integration]") {
  ServerProcess server = start_server();
  REQUIRE(server.start());
  auto config = engine_config(server.url(), mint_token("erin"));
  config.session.heartbeat.interval_ms = 500;
  config.session.heartbeat.timeout_ms = 450;
  EngineDriver client(config);
  client.engine->connect();
  REQUIRE(client.wait([&] { return client.ready(); }));
  std::this_thread::sleep_for(std::chrono::seconds(4));  // the game hangs for 8 heartbeat intervals
  client.pump();
  CHECK(client.ready());
  CHECK(client.count_state(ClientState::Backoff) == 0);
  CHECK(client.engine->pool_stats().reconnects == 0);
  // No rtt_ms check: a loopback round trip in whole milliseconds may be 0.
}

TEST_CASE("engine: auth failures, permission denied and token refresh", "[client][integration][auth]") {
  ServerProcess server = start_server();
  REQUIRE(server.start());
  SECTION("forged and expired tokens end in Unauthorized") {
    EngineDriver forged(engine_config(server.url(), mint_token("mallory", all_channels(), 60000, "wrong-secret")));
    EngineDriver expired(engine_config(server.url(), mint_token("old", all_channels(), -60000)));
    forged.engine->connect();
    expired.engine->connect();
    REQUIRE(forged.wait([&] { return forged.count(ClientEvent::Kind::AuthFailed) == 1; }));
    REQUIRE(expired.wait([&] { return expired.count(ClientEvent::Kind::AuthFailed) == 1; }));
    CHECK(forged.last(ClientEvent::Kind::AuthFailed)->session.code == "bad_signature");
    CHECK(expired.last(ClientEvent::Kind::AuthFailed)->session.code == "token_expired");
    forged.wait([] { return false; }, 500);
    CHECK(forged.count_state(ClientState::Connecting) == 1);  // no reconnect loop
  }
  SECTION("permission denied for publish and subscribe; nothing else dropped") {
    EngineDriver limited(engine_config(server.url(), mint_token("limited", {"publish:chat", "subscribe:chat"})));
    limited.engine->connect();
    limited.engine->subscribe("chat");
    REQUIRE(limited.wait([&] { return limited.count(ClientEvent::Kind::Subscribed) == 1; }));
    uint64_t id = 0;
    CHECK(limited.engine->send("admin", "1", true, &id) == SendStatus::PermissionDenied);  // known locally
    CHECK(limited.engine->subscribe("secret") == SendStatus::PermissionDenied);
    REQUIRE(limited.engine->send("chat", "2", true, &id) == SendStatus::Ok);
    REQUIRE(limited.wait([&] { return limited.messages("chat").size() == 1; }));
  }
  SECTION("a short-lived token is refreshed before expiry without reconnecting") {
    auto config = engine_config(server.url(), mint_token("frank", all_channels(), 4000));
    config.session.refresh_lead_ms = 3000;
    EngineDriver client(config);
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::TokenRefreshed) >= 1; }, 10000));
    // Well past the original expiry, still the same connection.
    client.wait([] { return false; }, 4000);
    CHECK(client.ready());
    CHECK(client.count_state(ClientState::Connecting) == 1);
    CHECK(client.count(ClientEvent::Kind::TokenRefreshed) >= 1);
  }
}

TEST_CASE("engine: pool strategies spread as documented and skip a dead connection", "[client][integration][pool]") {
  ServerProcess server = start_server();
  REQUIRE(server.start());
  const std::string dead_url = "ws://127.0.0.1:1";  // nothing listens there
  auto config = engine_config(server.url(), mint_token("pool"));
  config.pool_size = 4;

  SECTION("round robin over four healthy connections") {
    config.strategy = BalanceStrategy::RoundRobin;
    EngineDriver client(config);
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.all_ready(); }));
    uint64_t id = 0;
    for (int i = 0; i < 400; ++i) REQUIRE(client.engine->send("c" + std::to_string(i % 7), "1", true, &id) == SendStatus::Ok);
    REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::Acked) == 400; }));
    for (uint32_t i = 0; i < 4; ++i) CHECK(client.engine->connection_stats(i).routed == 100);
  }
  SECTION("health-aware: a connection that is down gets nothing") {
    // Connection 1 starts on the dead url and fails; its retry would go to
    // the next url (a live one), but only after a backoff longer than the test.
    config.urls = {server.url(), dead_url, server.url(), server.url()};
    config.session.backoff.initial_delay_ms = 60000;
    config.session.backoff.max_delay_ms = 60000;
    config.session.backoff.jitter = tether::core::JitterMode::None;
    for (BalanceStrategy strategy :
         {BalanceStrategy::RoundRobin, BalanceStrategy::Random, BalanceStrategy::LeastMessages,
          BalanceStrategy::StickyChannel}) {
      config.strategy = strategy;
      EngineDriver client(config);
      client.engine->connect();
      REQUIRE(client.wait([&] {
        return client.engine->connection_stats(0).state == ClientState::Ready &&
               client.engine->connection_stats(1).state == ClientState::Backoff &&
               client.engine->connection_stats(2).state == ClientState::Ready &&
               client.engine->connection_stats(3).state == ClientState::Ready;
      }));
      CHECK(client.engine->connection_stats(1).url_index == 2);  // where its retry will go
      uint64_t id = 0;
      for (int i = 0; i < 120; ++i) REQUIRE(client.engine->send("c" + std::to_string(i), "1", true, &id) == SendStatus::Ok);
      REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::Acked) == 120; }));
      INFO(tether::client::balance_strategy_name(strategy));
      REQUIRE(client.engine->connection_stats(1).state == ClientState::Backoff);  // down all along
      CHECK(client.engine->connection_stats(1).routed == 0);
      uint64_t routed = 0;
      for (uint32_t i = 0; i < 4; ++i) routed += client.engine->connection_stats(i).routed;
      CHECK(routed == 120);
      if (strategy == BalanceStrategy::Random || strategy == BalanceStrategy::RoundRobin) {
        for (uint32_t i : {0u, 2u, 3u}) CHECK(client.engine->connection_stats(i).routed >= 20);
      }
    }
  }
  SECTION("sticky channel keeps per-channel order across the pool") {
    config.strategy = BalanceStrategy::StickyChannel;
    EngineDriver client(config);
    client.engine->connect();
    for (int c = 0; c < 8; ++c) client.engine->subscribe("room:" + std::to_string(c));
    REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::Subscribed) == 8; }));
    uint64_t id = 0;
    for (int i = 0; i < 400; ++i) {
      REQUIRE(client.engine->send("room:" + std::to_string(i % 8), payload(i / 8), true, &id) == SendStatus::Ok);
    }
    REQUIRE(client.wait([&] {
      size_t total = 0;
      for (int c = 0; c < 8; ++c) total += client.messages("room:" + std::to_string(c)).size();
      return total == 400;
    }));
    std::set<uint32_t> used;
    for (uint32_t i = 0; i < 4; ++i) {
      if (client.engine->connection_stats(i).routed > 0) used.insert(i);
    }
    CHECK(used.size() >= 2);  // channels spread over the pool
    for (int c = 0; c < 8; ++c) {
      const auto got = client.messages("room:" + std::to_string(c));
      for (size_t n = 0; n < got.size(); ++n) CHECK(got[n] == payload(static_cast<int>(n)));
    }
  }
}

TEST_CASE("engine: wss is verified by default and each TLS failure is reported distinctly",
          "[client][integration][tls]") {
  using tether::transport::test::test_pki;
  const auto& pki = test_pki();
  auto tls_server = [&](const tether::transport::test::CertificateFiles& cert) {
    return start_server({"--tls-cert", cert.cert_file, "--tls-key", cert.key_file});
  };
  // Expects the engine to fail with transport error `code` and never become ready.
  auto expect_failure = [&](const std::string& url, const std::string& code, auto&& tweak) {
    auto config = engine_config(url, mint_token("tls"));
    tweak(config);
    EngineDriver client(config);
    client.engine->connect();
    INFO(code);
    REQUIRE(client.wait([&] { return client.count(ClientEvent::Kind::Error, EngineEvent::Kind::Transport) >= 1; }));
    CHECK(client.last(ClientEvent::Kind::Error, EngineEvent::Kind::Transport)->session.code == code);
    CHECK(client.count_state(ClientState::Ready) == 0);
  };
  auto trust_ca = [&](EngineConfig& c) { c.tls_ca_pem = pki.ca_pem; };

  ServerProcess good = tls_server(pki.server);
  REQUIRE(good.start());
  REQUIRE(good.url().rfind("wss://", 0) == 0);
  {
    auto config = engine_config(good.url(), mint_token("tls"));
    trust_ca(config);
    config.tls_pinned_spki_sha256 = {pki.server.pin};
    EngineDriver client(config);
    client.engine->connect();
    REQUIRE(client.wait([&] { return client.ready(); }));
  }
  expect_failure(good.url(), "tls_verify_failed", [](EngineConfig&) {});  // our CA is not trusted by default
  expect_failure(good.url(), "tls_pin_mismatch", [&](EngineConfig& c) {
    trust_ca(c);
    c.tls_pinned_spki_sha256 = {pki.unrelated_pin};
  });

  ServerProcess wrong_host = tls_server(pki.other_host);
  REQUIRE(wrong_host.start());
  expect_failure(wrong_host.url(), "tls_hostname_mismatch", trust_ca);

  ServerProcess expired = tls_server(pki.expired);
  REQUIRE(expired.start());
  expect_failure(expired.url(), "tls_verify_failed", trust_ca);

  ServerProcess self_signed = tls_server(pki.self_signed);
  REQUIRE(self_signed.start());
  expect_failure(self_signed.url(), "tls_verify_failed", trust_ca);
}

TEST_CASE("engine: create, connect and destroy at random points, quickly", "[client][integration][lifecycle]") {
  ServerProcess server = start_server();
  REQUIRE(server.start());
  const std::string token = mint_token("henry");
  tether::core::SeededRng rng(12345);
  std::vector<int64_t> destroy_us;
  const auto started = std::chrono::steady_clock::now();
  int cycles = 0;
  for (; cycles < 500 && std::chrono::steady_clock::now() - started < std::chrono::seconds(60); ++cycles) {
    auto config = engine_config(cycles % 5 == 0 ? "ws://127.0.0.1:1" : server.url(), token);
    config.pool_size = 1 + static_cast<uint32_t>(rng.next_in(0, 2));
    EngineDriver client(config);
    REQUIRE(client.engine);
    client.engine->connect();
    uint64_t id = 0;
    client.engine->send("x", "1", true, &id);
    const int64_t wait_us = rng.next_in(0, 3000);
    std::this_thread::sleep_for(std::chrono::microseconds(wait_us));  // a random point in the handshake
    client.pump();
    if (cycles % 3 == 0) {
      client.engine->close();
      client.engine->close();  // twice is harmless
    }
    const auto before = std::chrono::steady_clock::now();
    client.engine.reset();
    destroy_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - before).count());
  }
  // A destroy that waited on the network (a close handshake, a connect)
  // would take the seconds of those timeouts, and would do so often. On 2
  // busy cores (ASan, ctest -j2, other builds) one join in hundreds can wait
  // a few hundred ms for the scheduler: the 99th percentile must stay small,
  // and no destroy may come near a network timeout.
  std::sort(destroy_us.begin(), destroy_us.end());
  const int64_t p99_us = destroy_us[destroy_us.size() * 99 / 100];
  std::printf("lifecycle: cycles=%d destroy_ms p50=%.1f p99=%.1f slowest=%.1f\n", cycles,
              destroy_us[destroy_us.size() / 2] / 1000.0, p99_us / 1000.0, destroy_us.back() / 1000.0);
  CHECK(cycles >= 200);
  CHECK(p99_us < 100000);
  CHECK(destroy_us.back() < 1000000);
}

TEST_CASE("engine: invalid config is rejected with a reason", "[client]") {
  auto config = engine_config("ws://127.0.0.1:9", "t");
  config.session.heartbeat.timeout_ms = config.session.heartbeat.interval_ms;
  EngineDriver bad(config);
  CHECK_FALSE(bad.engine);
  CHECK(bad.create_error.find("heartbeat") != std::string::npos);
  config = engine_config("http://example", "t");
  EngineDriver bad_url(config);
  CHECK_FALSE(bad_url.engine);
}
