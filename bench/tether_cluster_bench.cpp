// tether-cluster-bench: fan-out across cluster nodes (tether-server --redis
// against a real redis-server it starts), as a ratio to one node with its
// in-process broker, measured in the same run on this machine.
//
// One publisher on the first node sends reliable messages to a channel with
// subscribers spread over every node; the figure is deliveries per second
// (messages x subscribers) until every subscriber has every message. Each
// run also checks that every subscriber got every message once, in order.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis_process.h"
#include "server_process.h"
#include "test_client.h"
#include "tokens.h"

namespace {

using tether::core::ClientEvent;
using tether::core::SendStatus;
using tether::test_support::RedisProcess;
using tether::test_support::ServerProcess;
using tether::test_support::TestClient;

struct Options {
  size_t messages = 20000;
  size_t subscribers = 6;
  size_t payload_bytes = 64;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return false;
    const size_t value = std::strtoull(argv[++i], nullptr, 10);
    if (flag == "--messages") {
      o.messages = value;
    } else if (flag == "--subscribers") {
      o.subscribers = value;
    } else if (flag == "--size") {
      o.payload_bytes = value;
    } else {
      return false;
    }
  }
  return o.messages > 0 && o.subscribers > 0 && o.payload_bytes >= 8;
}

// A subscriber's tally, read incrementally from its events.
struct Tally {
  size_t read = 0;      // events looked at
  size_t received = 0;  // messages on the channel
  bool in_order = true;
};

struct Result {
  double seconds = 0;
  size_t delivered = 0;
  bool exact = false;  // every subscriber got every message once, in order
};

// nodes == 0: one node with its in-process broker (no Redis).
Result run(const Options& o, size_t nodes) {
  Result result;
  tether::transport::EventLoop loop;
  RedisProcess redis;
  std::vector<std::unique_ptr<ServerProcess>> servers;
  const size_t processes = nodes == 0 ? 1 : nodes;
  if (nodes > 0 && !redis.start()) {
    std::fprintf(stderr, "cannot start redis-server: %s\n", redis.error().c_str());
    return result;
  }
  for (size_t i = 0; i < processes; ++i) {
    std::vector<std::string> args{"--jwt-secret", tether::test_support::kTestSecret};
    if (nodes > 0) args.insert(args.end(), {"--redis", redis.url(), "--node-id", "bench" + std::to_string(i)});
    servers.push_back(std::make_unique<ServerProcess>(TETHER_SERVER_PATH, args));
    if (!servers.back()->start()) {
      std::fprintf(stderr, "cannot start tether-server: %s\n", servers.back()->error().c_str());
      return result;
    }
  }
  std::vector<std::unique_ptr<TestClient>> subscribers;
  for (size_t i = 0; i < o.subscribers; ++i) {
    subscribers.push_back(std::make_unique<TestClient>(loop, servers[i % processes]->url(),
                                                       tether::test_support::mint_token("sub" + std::to_string(i))));
    subscribers.back()->connect();
  }
  TestClient publisher(loop, servers[0]->url(), tether::test_support::mint_token("publisher"));
  publisher.connect();
  for (auto& s : subscribers) {
    if (!s->wait_ready() || s->subscribe("bench") != SendStatus::Ok ||
        !s->wait_for([&] { return s->count(ClientEvent::Kind::Subscribed) == 1; })) {
      std::fprintf(stderr, "a subscriber was not ready and subscribed in time (%zu nodes); the servers said:\n",
                   nodes);
      for (auto& server : servers) {
        for (const std::string& line : server->log_lines()) std::fprintf(stderr, "  %s\n", line.c_str());
      }
      return result;
    }
  }
  if (!publisher.wait_ready()) {
    std::fprintf(stderr, "the publisher did not get ready (%zu nodes)\n", nodes);
    return result;
  }

  std::vector<Tally> tallies(o.subscribers);
  const auto done = [&] {
    for (size_t i = 0; i < o.subscribers; ++i) {
      const auto& events = subscribers[i]->events();
      Tally& t = tallies[i];
      for (; t.read < events.size(); ++t.read) {
        const ClientEvent& e = events[t.read];
        if (e.kind != ClientEvent::Kind::Message || e.channel != "bench") continue;
        // The payload is a JSON string: "<n>xxxx...".
        t.in_order = t.in_order && std::strtoull(e.data.c_str() + 1, nullptr, 10) == t.received;
        ++t.received;
      }
      if (t.received < o.messages) return false;
    }
    return true;
  };
  const auto began = std::chrono::steady_clock::now();
  size_t sent = 0;
  const auto deadline = began + std::chrono::seconds(120);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    for (; sent < o.messages; ++sent) {
      std::string payload = "\"" + std::to_string(sent);
      payload.resize(o.payload_bytes - 1, 'x');
      payload += '"';
      if (publisher.publish("bench", payload, true) != SendStatus::Ok) break;  // queue full: later
    }
    tether::test_support::run_until(loop, [] { return false; }, 2);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  result.exact = done();
  for (const Tally& t : tallies) {
    result.delivered += t.received;
    result.exact = result.exact && t.in_order && t.received == o.messages;
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: %s [--messages N] [--subscribers S] [--size BYTES]\n", argv[0]);
    return 2;
  }
  std::printf("# %zu reliable %zu B messages to %zu subscribers spread over the nodes; "
              "ratio = cluster / one node with its in-process broker (higher is better)\n",
              o.messages, o.payload_bytes, o.subscribers);
  const Result single = run(o, 0);
  const double baseline = single.seconds > 0 ? single.delivered / single.seconds : 0;
  bool all_exact = single.exact;
  std::printf("fanout_single_node_deliveries_per_s %.0f exact=%d\n", baseline, single.exact ? 1 : 0);
  for (size_t nodes : {size_t{1}, size_t{3}}) {
    const Result cluster = run(o, nodes);
    const double rate = cluster.seconds > 0 ? cluster.delivered / cluster.seconds : 0;
    all_exact = all_exact && cluster.exact;
    std::printf("fanout_cluster_%zu_node%s_deliveries_per_s tether=%.0f baseline=%.0f ratio=%.2f exact=%d\n", nodes,
                nodes == 1 ? "" : "s", rate, baseline, baseline > 0 ? rate / baseline : 0, cluster.exact ? 1 : 0);
  }
  return all_exact ? 0 : 1;
}
