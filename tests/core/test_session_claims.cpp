// Cluster sessions in virtual time (docs/PROTOCOL.md 11.1): an auth that
// names a session waits for the cluster's claim, and what the claim says
// decides how the session goes on here. The broker is a hand-driven stand-in
// for the Redis one: the test answers each claim as the cluster would.
#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/local_broker.h"
#include "server_sim.h"

using namespace tether::core;
using namespace tether::test;

namespace {

const std::vector<std::string> kEverything = {"publish:*", "subscribe:*"};

class ClaimBroker final : public Broker {
 public:
  struct Claim {
    std::string session;
    std::string user;
  };
  struct PositionedSubscribe {
    std::string session;
    std::string channel;
    ChannelPosition from;
  };

  void bind(BrokerCallbacks callbacks) override {
    claimed_ = std::move(callbacks.claimed);
    local_.bind(std::move(callbacks));
  }
  bool recovers_sessions() const override { return true; }
  void register_session(const std::string& session, std::string_view user, const ChannelPosition&) override {
    registered.emplace_back(session, std::string(user));
  }
  void claim_session(const std::string& session, std::string_view user) override {
    claims.push_back({session, std::string(user)});
  }
  void subscribe(const std::string& session, const std::string& channel) override {
    local_.subscribe(session, channel);
  }
  void subscribe_from(const std::string& session, const std::string& channel, const ChannelPosition& from) override {
    positioned.push_back({session, channel, from});
    local_.subscribe(session, channel);
  }
  void unsubscribe(const std::string& session, const std::string& channel) override {
    unsubscribed.emplace_back(session, channel);
    local_.unsubscribe(session, channel);
  }
  void remove_session(const std::string& session) override { local_.remove_session(session); }
  void publish(const std::string& channel, std::string_view data, bool reliable, PayloadKind payload,
               const PublishOrigin&) override {
    local_.fan_out(channel, Delivery{channel, data, reliable, payload, ++offset_});
  }

  // Answers the oldest claim, as the cluster would.
  void answer(SessionClaim::Kind kind, uint64_t committed = 0) {
    REQUIRE(!claims.empty());
    const Claim claim = claims.front();
    claims.pop_front();
    claimed_(claim.session, SessionClaim{kind, committed, {}});
  }
  size_t subscribers(const std::string& channel) const { return local_.subscriber_count(channel); }

  std::deque<Claim> claims;
  std::vector<std::pair<std::string, std::string>> registered;
  std::vector<std::pair<std::string, std::string>> unsubscribed;
  std::vector<PositionedSubscribe> positioned;

 private:
  LocalBroker local_;
  ClaimFn claimed_;
  uint64_t offset_ = 0;
};

struct Node {
  Node() : broker(new ClaimBroker), sim(config(), 0, std::unique_ptr<Broker>(broker)) {}
  static EndpointConfig config() {
    ServerConfig session = default_server_config();
    session.idle_timeout_ms = 60000;  // beyond the auth timeout, as in tether-server
    EndpointConfig c = endpoint_config_of(session);
    c.publishes_to_host = false;  // the broker routes, as in tether-server --redis
    return c;
  }
  // An auth that names `session`, offering offsets unless told not to.
  ServerSim::Client& auth_naming(const std::string& user, const std::string& session, uint64_t last_seq,
                                 bool offsets = true) {
    ServerSim::Client& c = sim.open();
    std::string frame = R"({"type":"auth","token":")" + make_token(user, kEverything) + R"(","session":")" +
                        session + R"(","lastSeq":)" + std::to_string(last_seq);
    if (offsets) frame += R"(,"offsets":true)";
    sim.send(c, frame + "}");
    return c;
  }
  ClaimBroker* broker;  // owned by the endpoint
  ServerSim sim;
};

std::string subscribe_at(const std::string& channel, const std::string& epoch, uint64_t offset) {
  Message m;
  m.type = MessageType::Subscribe;
  m.channel = channel;
  m.epoch = epoch;
  m.offset = offset;
  std::string out;
  encode_message(m, out);
  return out;
}

}  // namespace

TEST_CASE("a session held elsewhere is taken over: the client's sequence continues where the cluster committed it",
          "[core][endpoint][claim]") {
  Node node;
  ServerSim& sim = node.sim;
  ServerSim::Client& reader = sim.auth("reader", kEverything);
  sim.send(reader, subscribe_frame("room"));

  ServerSim::Client& alice = node.auth_naming("alice", "moved-session", 3);
  // Nothing is answered until the cluster has spoken.
  CHECK(alice.take(MessageType::AuthSuccess).empty());
  REQUIRE(node.broker->claims.size() == 1);
  CHECK(node.broker->claims.front().session == "moved-session");
  CHECK(node.broker->claims.front().user == "alice");

  node.broker->answer(SessionClaim::Kind::Elsewhere, 7);
  sim.flush();
  const std::vector<Message> success = alice.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK(success[0].session == "moved-session");
  CHECK(success[0].resumed);
  CHECK(success[0].recovered);
  CHECK(success[0].last_seq == 7);
  CHECK(sim.count_events(EndpointEvent::Kind::SessionStarted) == 2);  // new to this node's application
  CHECK(node.broker->registered.back() == std::make_pair(std::string("moved-session"), std::string("alice")));

  // A resend of 7 was committed already: acked, not published again. 8 goes through.
  sim.send(alice, "[" + publish_frame("room", "\"seven\"", 7, 7) + "," + publish_frame("room", "\"eight\"", 8, 7) +
                      "]");
  std::vector<std::string> got;
  for (const Message& m : reader.take(MessageType::Channel)) got.push_back(m.data);
  CHECK(got == std::vector<std::string>{"\"eight\""});
  const std::vector<Message> acks = alice.take(MessageType::Ack);
  REQUIRE(!acks.empty());
  CHECK(acks.back().up_to == 8);

  // This node numbers its own messages afresh, from 1.
  sim.send(alice, subscribe_frame("room"));
  sim.send(reader, publish_frame("room", "\"to alice\"", 1, 1));
  const std::vector<Message> to_alice = alice.take(MessageType::Channel);
  REQUIRE(to_alice.size() == 1);
  CHECK(to_alice[0].id == 1);
  CHECK(to_alice[0].offset != 0);  // alice offered offsets
}

TEST_CASE("a cluster that cannot be asked closes with 1013, blaming nobody", "[core][endpoint][claim]") {
  Node node;
  ServerSim& sim = node.sim;
  ServerSim::Client& alice = node.auth_naming("alice", "some-session", 0);
  node.broker->answer(SessionClaim::Kind::Unavailable);
  sim.flush();
  CHECK(alice.take(MessageType::AuthSuccess).empty());
  const std::vector<Message> errors = alice.take(MessageType::Error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "cluster_unavailable");
  CHECK(alice.closed);
  CHECK(alice.close_code == close_code::kTryAgainLater);
  CHECK(sim.endpoint.counters().auth_failures == 0);
  CHECK(sim.endpoint.counters().client_errors == 0);
  CHECK(sim.endpoint.session_count() == 0);
}

TEST_CASE("a session the cluster does not know is this node's business: resumed if here, else new",
          "[core][endpoint][claim]") {
  Node node;
  ServerSim& sim = node.sim;
  ServerSim::Client& first = sim.auth("alice", kEverything);  // a new session: nothing to claim
  CHECK(node.broker->claims.empty());
  REQUIRE(!first.session_id.empty());
  const std::string id = first.session_id;
  sim.send(first, publish_frame("room", "1", 1, 1));
  sim.drop(first);

  ServerSim::Client& back = node.auth_naming("alice", id, 0);
  node.broker->answer(SessionClaim::Kind::Unknown);  // e.g. begun while Redis was away
  sim.flush();
  std::vector<Message> success = back.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK(success[0].session == id);
  CHECK(success[0].resumed);
  CHECK_FALSE(success[0].recovered);
  CHECK(success[0].last_seq == 1);

  ServerSim::Client& stranger = node.auth_naming("alice", "never-seen", 0);
  node.broker->answer(SessionClaim::Kind::Unknown);
  sim.flush();
  success = stranger.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK(success[0].session != "never-seen");
  CHECK_FALSE(success[0].resumed);
}

TEST_CASE("a claim that says 'here' resumes this node's copy with its numbering", "[core][endpoint][claim]") {
  Node node;
  ServerSim& sim = node.sim;
  ServerSim::Client& first = sim.auth("alice", kEverything);
  sim.send(first, subscribe_frame("room"));
  sim.publish("room", "\"a\"", true);  // server sequence 1, not acked
  sim.drop(first);

  ServerSim::Client& back = node.auth_naming("alice", first.session_id, 0);
  node.broker->answer(SessionClaim::Kind::Here, 0);
  sim.flush();
  const std::vector<Message> success = back.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK(success[0].resumed);
  CHECK_FALSE(success[0].recovered);
  const std::vector<Message> resent = back.take(MessageType::Channel);
  REQUIRE(resent.size() == 1);
  CHECK(resent[0].id == 1);
  CHECK(node.broker->subscribers("room") == 1);  // the subscription stood
}

TEST_CASE("a stale copy of a session that moved away is reset, and its old connection closed 4005",
          "[core][endpoint][claim]") {
  Node node;
  ServerSim& sim = node.sim;
  ServerSim::Client& old_link = sim.auth("alice", kEverything);
  sim.send(old_link, subscribe_frame("room"));
  sim.publish("room", "\"queued here\"", true);
  const std::string id = old_link.session_id;
  REQUIRE(node.broker->subscribers("room") == 1);

  // The client went to another node meanwhile, and comes back here.
  ServerSim::Client& back = node.auth_naming("alice", id, 0);
  node.broker->answer(SessionClaim::Kind::Elsewhere, 5);
  sim.flush();
  CHECK(old_link.closed);
  CHECK(old_link.close_code == close_code::kSessionReplaced);
  const std::vector<Message> success = back.take(MessageType::AuthSuccess);
  REQUIRE(success.size() == 1);
  CHECK(success[0].recovered);
  CHECK(success[0].last_seq == 5);
  // What the stale copy held went to the client from the other node: dropped.
  CHECK(back.take(MessageType::Channel).empty());
  CHECK(node.broker->subscribers("room") == 0);
  REQUIRE(node.broker->unsubscribed.size() == 1);
  CHECK(node.broker->unsubscribed[0].second == "room");
  CHECK(back.state()->subscriptions.empty());
  CHECK(back.state()->receiver.delivered_up_to() == 5);
}

TEST_CASE("the auth timeout runs while a claim is awaited, and a late answer or a closed connection changes nothing",
          "[core][endpoint][claim]") {
  Node node;
  ServerSim& sim = node.sim;
  ServerSim::Client& slow = node.auth_naming("alice", "s1", 0);
  sim.advance(Node::config().session.auth_timeout_ms + 1);
  CHECK(slow.closed);
  CHECK(slow.close_code == close_code::kAuthTimeout);
  node.broker->answer(SessionClaim::Kind::Elsewhere, 3);
  sim.flush();
  CHECK(slow.take(MessageType::AuthSuccess).empty());
  CHECK(sim.endpoint.session_count() == 0);

  ServerSim::Client& gone = node.auth_naming("alice", "s2", 0);
  sim.drop(gone);
  node.broker->answer(SessionClaim::Kind::Elsewhere, 3);
  sim.flush();
  CHECK(sim.endpoint.session_count() == 0);

  // A second auth on a connection whose first is still being answered.
  ServerSim::Client& twice = node.auth_naming("alice", "s3", 0);
  sim.send(twice, R"({"type":"auth","token":")" + make_token("alice", kEverything) + "\"}");
  const std::vector<Message> errors = twice.take(MessageType::Error);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "auth_pending");
  CHECK(node.broker->claims.size() == 1);
}

TEST_CASE("a subscribe with a position reaches the broker, and positions go only to clients that track them",
          "[core][endpoint][claim]") {
  Node node;
  ServerSim& sim = node.sim;
  ServerSim::Client& tracker = node.auth_naming("alice", "t1", 0);
  node.broker->answer(SessionClaim::Kind::Unknown);
  sim.flush();
  sim.send(tracker, subscribe_at("room", "E1", 41));
  REQUIRE(node.broker->positioned.size() == 1);
  CHECK(node.broker->positioned[0].channel == "room");
  CHECK(node.broker->positioned[0].from.epoch == "E1");
  CHECK(node.broker->positioned[0].from.offset == 41);

  ServerSim::Client& plain = sim.auth("bob", kEverything);  // no "offsets" in its auth
  sim.send(plain, subscribe_frame("room"));
  CHECK(node.broker->positioned.size() == 1);
  sim.publish("room", "\"x\"", true);
  const std::vector<Message> to_tracker = tracker.take(MessageType::Channel);
  const std::vector<Message> to_plain = plain.take(MessageType::Channel);
  REQUIRE(to_tracker.size() == 1);
  REQUIRE(to_plain.size() == 1);
  CHECK(to_tracker[0].offset == 1);
  CHECK(to_plain[0].offset == 0);
}
