// A broker that commits reliable publishes asynchronously (a cluster over
// Redis) makes the endpoint withhold the client's ack until the commit, and
// roll the session back when one fails, so the client resends: nothing is
// lost, and, with the broker's own duplicate check, nothing is published
// twice. The broker here keeps its "durable" state in memory and answers when
// the test says, as a Redis script would (highest committed sequence per
// session, refusing a gap).
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/local_broker.h"
#include "server_sim.h"

using namespace tether::core;
using namespace tether::test;

namespace {

const std::vector<std::string> kEverything = {"publish:*", "subscribe:*"};

class ManualCommitBroker final : public Broker {
 public:
  struct Pending {
    std::string session;
    uint64_t seq = 0;
    uint64_t previous = 0;
    std::string channel;
    std::string data;
  };

  void bind(BrokerCallbacks callbacks) override {
    commit_ = std::move(callbacks.commit);
    local_.bind(std::move(callbacks));
  }
  bool commits_async() const override { return true; }
  void subscribe(const std::string& session, const std::string& channel) override { local_.subscribe(session, channel); }
  void unsubscribe(const std::string& session, const std::string& channel) override {
    local_.unsubscribe(session, channel);
  }
  void remove_session(const std::string& session) override { local_.remove_session(session); }
  void publish(const std::string& channel, std::string_view data, bool reliable, PayloadKind payload,
               const PublishOrigin& origin) override {
    if (origin.seq == 0) {
      local_.publish(channel, data, reliable, payload, origin);
      return;
    }
    pending.push_back({std::string(origin.session_id), origin.seq, origin.previous_seq, channel, std::string(data)});
  }

  // Answers the oldest pending commit as the script would; `reachable` false
  // is a broker that could not be asked (the connection dropped).
  CommitResult answer_next(bool reachable = true) {
    REQUIRE(!pending.empty());
    Pending p = pending.front();
    pending.erase(pending.begin());
    CommitResult result = CommitResult::Failed;
    uint64_t& committed = committed_[p.session];
    if (!reachable) {
      result = CommitResult::Failed;
    } else if (p.seq <= committed) {
      result = CommitResult::Duplicate;
    } else if (p.previous != committed) {
      result = CommitResult::Failed;  // its predecessor never became durable
    } else {
      committed = p.seq;
      local_.publish(p.channel, p.data, true, PayloadKind::Json, PublishOrigin{});
      result = CommitResult::Committed;
    }
    commit_(p.session, p.seq, result);
    return result;
  }
  // The script ran, but its answer was lost on the way back (a timeout).
  void commit_but_report_failure() {
    REQUIRE(!pending.empty());
    Pending p = pending.front();
    pending.erase(pending.begin());
    uint64_t& committed = committed_[p.session];
    REQUIRE(p.previous == committed);
    committed = p.seq;
    local_.publish(p.channel, p.data, true, PayloadKind::Json, PublishOrigin{});
    commit_(p.session, p.seq, CommitResult::Failed);
  }

  std::vector<Pending> pending;

 private:
  LocalBroker local_;
  CommitFn commit_;
  std::map<std::string, uint64_t> committed_;
};

struct Cluster {
  Cluster() : broker(new ManualCommitBroker), sim(config(), 0, std::unique_ptr<Broker>(broker)) {}
  static EndpointConfig config() {
    EndpointConfig c = endpoint_config_of(default_server_config());
    c.publishes_to_host = false;  // the broker routes, as in tether-server --redis
    return c;
  }
  ManualCommitBroker* broker;  // owned by the endpoint
  ServerSim sim;
};

std::vector<uint64_t> acks_of(ServerSim::Client& c) {
  std::vector<uint64_t> out;
  for (const Message& m : c.take(MessageType::Ack)) out.push_back(m.up_to);
  return out;
}

std::vector<std::string> data_of(ServerSim::Client& c) {
  std::vector<std::string> out;
  for (const Message& m : c.take(MessageType::Channel)) out.push_back(m.data);
  return out;
}

}  // namespace

TEST_CASE("a reliable publish is acked only once the broker committed it", "[core][endpoint][commit]") {
  Cluster cluster;
  ServerSim& sim = cluster.sim;
  ServerSim::Client& reader = sim.auth("reader", kEverything);
  sim.send(reader, subscribe_frame("room"));
  ServerSim::Client& writer = sim.auth("writer", kEverything);

  sim.send(writer, "[" + publish_frame("room", "1", 1, 1) + "," + publish_frame("room", "2", 2, 1) + "]");
  CHECK(acks_of(writer).empty());
  CHECK(cluster.broker->pending.size() == 2);
  CHECK(cluster.broker->pending[1].previous == 1);

  CHECK(cluster.broker->answer_next() == CommitResult::Committed);
  sim.flush();
  CHECK(acks_of(writer) == std::vector<uint64_t>{1});
  CHECK(cluster.broker->answer_next() == CommitResult::Committed);
  sim.flush();
  CHECK(acks_of(writer) == std::vector<uint64_t>{2});
  CHECK(data_of(reader) == std::vector<std::string>{"1", "2"});
  CHECK(writer.state()->commits.pending() == 0);
}

TEST_CASE("a failed commit goes unacked, rolls back, and the resend is published once",
          "[core][endpoint][commit]") {
  Cluster cluster;
  ServerSim& sim = cluster.sim;
  ServerSim::Client& reader = sim.auth("reader", kEverything);
  sim.send(reader, subscribe_frame("room"));
  ServerSim::Client& writer = sim.auth("writer", kEverything);

  sim.send(writer, publish_frame("room", "1", 1, 1));
  REQUIRE(cluster.broker->answer_next() == CommitResult::Committed);
  sim.send(writer, "[" + publish_frame("room", "2", 2, 2) + "," + publish_frame("room", "3", 3, 2) + "]");
  CHECK(cluster.broker->answer_next(false) == CommitResult::Failed);  // 2: the broker was unreachable
  // 3 was handed over after 2; the broker refuses it, since 2 never became durable.
  CHECK(cluster.broker->answer_next() == CommitResult::Failed);
  sim.flush();
  CHECK(acks_of(writer) == std::vector<uint64_t>{1});
  CHECK(writer.state()->receiver.delivered_up_to() == 1);
  CHECK(sim.count_events(EndpointEvent::Kind::PublishNotCommitted) == 1);

  // The client's ack timer fires: it resends 2 and 3, which now go through.
  sim.send(writer, "[" + publish_frame("room", "2", 2, 2) + "," + publish_frame("room", "3", 3, 2) + "]");
  CHECK(cluster.broker->answer_next() == CommitResult::Committed);
  CHECK(cluster.broker->answer_next() == CommitResult::Committed);
  sim.flush();
  CHECK(acks_of(writer).back() == 3);
  CHECK(data_of(reader) == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("a commit whose answer was lost is not published again when resent", "[core][endpoint][commit]") {
  Cluster cluster;
  ServerSim& sim = cluster.sim;
  ServerSim::Client& reader = sim.auth("reader", kEverything);
  sim.send(reader, subscribe_frame("room"));
  ServerSim::Client& writer = sim.auth("writer", kEverything);

  sim.send(writer, publish_frame("room", "1", 1, 1));
  cluster.broker->commit_but_report_failure();
  sim.flush();
  CHECK(acks_of(writer).empty());
  CHECK(data_of(reader) == std::vector<std::string>{"1"});

  sim.send(writer, publish_frame("room", "1", 1, 1));
  CHECK(cluster.broker->answer_next() == CommitResult::Duplicate);
  sim.flush();
  CHECK(acks_of(writer) == std::vector<uint64_t>{1});
  CHECK(data_of(reader).empty());
  CHECK(writer.state()->commits.last_committed() == 1);
}

TEST_CASE("unreliable publishes are not held for commits, and an app's publishes are acked at once",
          "[core][endpoint][commit]") {
  Cluster cluster;
  ServerSim& sim = cluster.sim;
  ServerSim::Client& reader = sim.auth("reader", kEverything);
  sim.send(reader, subscribe_frame("room"));
  ServerSim::Client& writer = sim.auth("writer", kEverything);
  sim.send(writer, publish_frame("room", "\"fire and forget\""));
  CHECK(cluster.broker->pending.empty());
  CHECK(data_of(reader) == std::vector<std::string>{"\"fire and forget\""});

  // With an application consuming publishes there is nothing to commit.
  EndpointConfig to_host = Cluster::config();
  to_host.publishes_to_host = true;
  auto* broker = new ManualCommitBroker;
  ServerSim app_sim(to_host, 0, std::unique_ptr<Broker>(broker));
  ServerSim::Client& client = app_sim.auth("writer", kEverything);
  app_sim.send(client, publish_frame("room", "1", 1, 1));
  CHECK(acks_of(client) == std::vector<uint64_t>{1});
  CHECK(client.state()->commits.pending() == 0);
}
