// tether-server --metrics-listen: /healthz answers what a load balancer or a
// Kubernetes probe needs (ready, draining, not ready, as HTTP status codes)
// and /metrics the Prometheus text format, on a cluster node with a real
// redis-server and on a single node.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "raw_socket.h"
#include "redis_process.h"
#include "server_process.h"
#include "test_client.h"
#include "tokens.h"

namespace tether::cluster_test {
namespace {

using core::ClientEvent;
using core::SendStatus;
using test_support::kServerBinary;
using test_support::kTestSecret;
using test_support::mint_token;
using test_support::RedisProcess;
using test_support::ServerProcess;
using test_support::TestClient;

// The port from "metrics on http://127.0.0.1:PORT/metrics" in the log. The
// line goes to stderr before the startup line goes to stdout, but another
// thread reads stderr: wait for it.
uint16_t metrics_port(ServerProcess& server) {
  if (!server.wait_for_log("metrics on http://", 10000)) return 0;
  for (const std::string& line : server.log_lines()) {
    const size_t at = line.find("metrics on http://127.0.0.1:");
    if (at != std::string::npos) return static_cast<uint16_t>(std::atoi(line.c_str() + at + 28));
  }
  return 0;
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

HttpAnswer http(uint16_t port, const std::string& method, const std::string& path) {
  transport::test::RawSocket socket(port);
  REQUIRE(socket.connected());
  REQUIRE(socket.send_all(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (socket.poll() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a blocking peer: nothing to wait on
  }
  HttpAnswer answer;
  answer.status = socket.status();
  const size_t body = socket.input().find("\r\n\r\n");
  if (body != std::string::npos) answer.body = socket.input().substr(body + 4);
  return answer;
}

// The value of a sample line "name value" (or "name{labels} value"); -1 if absent.
double sample(const std::string& metrics, const std::string& name) {
  size_t at = 0;
  while ((at = metrics.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || metrics[at - 1] == '\n') return std::atof(metrics.c_str() + at + name.size() + 1);
    at += name.size();
  }
  return -1;
}

bool eventually(transport::EventLoop& loop, const std::function<bool()>& check) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!check()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    test_support::run_until(loop, [] { return false; }, 50);  // clients keep running meanwhile
  }
  return true;
}

}  // namespace

TEST_CASE("a cluster node's /healthz follows Redis and the drain, and /metrics counts what happened",
          "[cluster][integration][operations]") {
  transport::EventLoop loop;
  RedisProcess redis;
  REQUIRE(redis.start());
  ServerProcess node(kServerBinary, {"--jwt-secret", kTestSecret, "--redis", redis.url(), "--metrics-listen",
                                     "127.0.0.1:0", "--drain-ms", "2000"});
  REQUIRE(node.start());
  const uint16_t port = metrics_port(node);
  REQUIRE(port != 0);
  REQUIRE(eventually(loop, [&] { return http(port, "GET", "/healthz").status == 200; }));
  CHECK(http(port, "GET", "/healthz").body == "ready\n");

  TestClient alice(loop, node.url(), mint_token("alice"));
  alice.connect();
  REQUIRE(alice.wait_ready());
  REQUIRE(alice.subscribe("room") == SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.count(ClientEvent::Kind::Subscribed) == 1; }));
  for (int i = 0; i < 10; ++i) REQUIRE(alice.publish("room", std::to_string(i), true) == SendStatus::Ok);
  REQUIRE(alice.wait_for([&] { return alice.messages("room").size() == 10; }));
  TestClient forger(loop, node.url(), mint_token("forger", test_support::all_channels(), 3600000, "wrong"));
  forger.connect();
  REQUIRE(forger.wait_for([&] { return forger.state() == core::ClientState::Unauthorized; }));

  // The forger's connection ends once its close handshake is done.
  HttpAnswer metrics;
  REQUIRE(eventually(loop, [&] {
    metrics = http(port, "GET", "/metrics");
    return sample(metrics.body, "tether_connections") == 1;
  }));
  CHECK(metrics.status == 200);
  INFO(metrics.body);
  CHECK(sample(metrics.body, "tether_connections") == 1);
  CHECK(sample(metrics.body, "tether_sessions") == 1);
  CHECK(sample(metrics.body, "tether_messages_in_total") == 10);
  CHECK(sample(metrics.body, "tether_messages_out_total") == 10);
  CHECK(sample(metrics.body, "tether_auth_failures_total") == 1);
  CHECK(sample(metrics.body, "tether_redis_connected") == 1);
  CHECK(sample(metrics.body, "tether_cluster_published_total") == 10);
  CHECK(sample(metrics.body, "tether_redis_rtt_seconds") > 0);
  CHECK(sample(metrics.body, "tether_bytes_in_total") > 0);
  CHECK(metrics.body.find("# TYPE tether_messages_in_total counter") != std::string::npos);
  CHECK(metrics.body.find("tether_drops_total{reason=\"redis_unavailable\"} 0") != std::string::npos);

  CHECK(http(port, "GET", "/nothing").status == 404);
  CHECK(http(port, "POST", "/metrics").status == 405);
  CHECK(http(port, "HEAD", "/healthz").status == 200);

  // Redis gone: not ready, so a balancer sends new clients elsewhere.
  redis.stop();
  REQUIRE(eventually(loop, [&] { return http(port, "GET", "/healthz").status == 503; }));
  CHECK(http(port, "GET", "/healthz").body == "not-ready\n");
  REQUIRE(redis.restart());
  REQUIRE(eventually(loop, [&] { return http(port, "GET", "/healthz").status == 200; }));

  // Leaving: draining until the last client is gone.
  REQUIRE(node.terminate());
  REQUIRE(eventually(loop, [&] { return http(port, "GET", "/healthz").body == "draining\n"; }));
  CHECK(http(port, "GET", "/healthz").status == 503);
  REQUIRE(test_support::run_until(loop, [&] { return node.has_exited(); }, 15000));
  CHECK(node.exit_code() == 0);
}

TEST_CASE("a single node serves /healthz and /metrics too", "[cluster][operations]") {
  ServerProcess node(kServerBinary, {"--jwt-secret", kTestSecret, "--metrics-listen", "127.0.0.1:0"});
  REQUIRE(node.start());
  const uint16_t port = metrics_port(node);
  REQUIRE(port != 0);
  CHECK(http(port, "GET", "/healthz").status == 200);
  const HttpAnswer metrics = http(port, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(sample(metrics.body, "tether_connections") == 0);
  CHECK(metrics.body.find("tether_redis") == std::string::npos);
}

}  // namespace tether::cluster_test
