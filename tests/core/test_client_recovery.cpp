// Cluster session recovery, client side (docs/PROTOCOL.md 11.1): the client
// offers offsets, keeps a position {epoch, offset} per wanted channel, sends
// it in every subscribe, and on a recovered resume (another node took the
// session over) keeps its sends but starts its receive side afresh.
// One client session driven by scripted server frames, in virtual time.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "client_script.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;
using namespace tether::test::script;

TEST_CASE("auth offers offsets, on the first connection and every reconnect", "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  c.connect(0);
  c.handle_open(1);
  const std::vector<Message> first = sent_of_type(drain_sent(c), MessageType::Auth);
  REQUIRE(first.size() == 1);
  CHECK(first[0].offsets);
  feed(c, auth_success("s1"), 2);
  drain_events(c);
  TimeMs now = 3;
  const Message again = drop_and_reopen(c, now);
  CHECK(again.offsets);
  CHECK(again.session == "s1");
}

TEST_CASE("a position follows stream messages only as they are delivered in order", "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  REQUIRE(c.subscribe("c", 0) == SendStatus::Ok);
  make_ready(c, 1);
  feed(c, subscribed("c", "e1", 10), 2);
  CHECK(position_of(c, "c").epoch == "e1");
  CHECK(position_of(c, "c").offset == 10);

  // 2 arrives ahead of 1: held, so the position does not move yet.
  feed(c, stream_message("c", 2, 12), 3);
  CHECK(c.receiver().buffered() == 1);
  CHECK(position_of(c, "c").offset == 10);
  CHECK(delivered_ids(drain_events(c)).empty());
  // 1 fills the gap: both go to the host, the position is the last one's.
  feed(c, stream_message("c", 1, 11), 4);
  CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{1, 2});
  CHECK(position_of(c, "c").offset == 12);
  CHECK(position_of(c, "c").epoch == "e1");

  // A duplicate changes nothing; a message without an offset neither.
  feed(c, stream_message("c", 2, 12), 5);
  feed(c, stream_message("c", 3, 0), 6);
  CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{3});
  CHECK(position_of(c, "c").offset == 12);

  // Deferred while the host is not draining: not delivered, so not ours.
  c.set_inbound_paused(true);
  feed(c, stream_message("c", 4, 13), 7);
  CHECK(c.counters().deferred_reliable == 1);
  CHECK(position_of(c, "c").offset == 12);
  c.set_inbound_paused(false);
  feed(c, stream_message("c", 4, 13), 8);
  CHECK(position_of(c, "c").offset == 13);

  // A channel the host does not want gets no position.
  feed(c, stream_message("other", 5, 99), 9);
  CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{4, 5});
  CHECK(c.subscriptions().position("other") == nullptr);
  CHECK(c.subscriptions().positions() == 1);
}

TEST_CASE("subscribed and history_lost set the position by their rules", "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  REQUIRE(c.subscribe("c", 0) == SendStatus::Ok);
  make_ready(c, 1);
  CHECK(c.subscriptions().position("c") == nullptr);

  // No epoch (a server without positions): nothing to keep.
  feed(c, subscribed("c", "", 5), 2);
  CHECK(c.subscriptions().position("c") == nullptr);
  // A first epoch: taken as is.
  feed(c, subscribed("c", "e1", 20), 3);
  CHECK(position_of(c, "c").epoch == "e1");
  CHECK(position_of(c, "c").offset == 20);
  // Same epoch: the later of the two.
  feed(c, subscribed("c", "e1", 15), 4);
  CHECK(position_of(c, "c").offset == 20);
  feed(c, subscribed("c", "e1", 30), 5);
  CHECK(position_of(c, "c").offset == 30);
  // Another epoch: taken as is, even below the old offset.
  feed(c, subscribed("c", "e2", 3), 6);
  CHECK(position_of(c, "c").epoch == "e2");
  CHECK(position_of(c, "c").offset == 3);

  // History lost: the new epoch, from its start. The host still hears of it.
  feed(c, history_lost("c", "e3"), 7);
  CHECK(position_of(c, "c").epoch == "e3");
  CHECK(position_of(c, "c").offset == 0);
  const std::vector<ClientEvent> events = drain_events(c);
  REQUIRE(count_kind(events, ClientEvent::Kind::Error) == 1);
  CHECK(events.back().code == "history_lost");
  // The next message of the new epoch moves it again.
  feed(c, stream_message("c", 1, 1), 8);
  CHECK(position_of(c, "c").offset == 1);

  // An error of another code, or about a channel we do not want, changes nothing.
  Message other = history_lost("c", "e9");
  other.code = "rate_limited";
  feed(c, other, 9);
  feed(c, history_lost("elsewhere", "e9"), 10);
  feed(c, subscribed("elsewhere", "e9", 7), 11);
  CHECK(position_of(c, "c").epoch == "e3");
  CHECK(position_of(c, "c").offset == 1);
  CHECK(c.subscriptions().positions() == 1);
  CHECK(c.subscriptions().size() == 1);
}

TEST_CASE("every subscribe carries the channel's position", "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  REQUIRE(c.subscribe("c", 0) == SendStatus::Ok);
  REQUIRE(c.subscribe("fresh", 0) == SendStatus::Ok);
  make_ready(c, 1);
  feed(c, subscribed("c", "e1", 10), 2);
  feed(c, stream_message("c", 1, 11), 3);

  // Subscribing again while Ready.
  REQUIRE(c.subscribe("c", 4) == SendStatus::Ok);
  std::vector<Message> subs = sent_of_type(drain_sent(c), MessageType::Subscribe);
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].epoch == "e1");
  CHECK(subs[0].offset == 11);

  // A session the server did not keep: every wanted channel again, with its position.
  TimeMs now = 5;
  drop_and_reopen(c, now);
  feed(c, auth_success("s2"), now);
  subs = sent_of_type(drain_sent(c), MessageType::Subscribe);
  REQUIRE(subs.size() == 2);
  CHECK(subs[0].channel == "c");
  CHECK(subs[0].epoch == "e1");
  CHECK(subs[0].offset == 11);
  CHECK(subs[1].channel == "fresh");  // no position yet: a plain subscribe
  CHECK(subs[1].epoch.empty());
  CHECK(subs[1].offset == 0);

  // A subscribe made offline goes out after a plain resume, with the position it has then.
  drain_events(c);
  c.handle_closed(close_code::kAbnormal, "", now);
  REQUIRE(c.subscribe("c", now) == SendStatus::Ok);
  now = c.next_timeout();
  c.handle_timeout(now);
  c.handle_open(now);
  drain_sent(c);
  feed(c, auth_success("s2", true, false, 0), now);
  subs = sent_of_type(drain_sent(c), MessageType::Subscribe);
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].channel == "c");
  CHECK(subs[0].epoch == "e1");
  CHECK(subs[0].offset == 11);
}

namespace {

// A ready client on session "s1" that sent reliable messages 101..103 (seq
// 1..3, none acked), wants "c" at {e1, 2}, was delivered 1..2 and holds 4
// behind a gap at 3. Then its connection drops and it presents "s1" again.
struct InterruptedClient {
  ClientSession c{default_client_config(), 1};
  TimeMs now = 1;

  InterruptedClient() {
    REQUIRE(c.subscribe("c", 0) == SendStatus::Ok);
    make_ready(c, now);
    for (uint64_t id = 101; id <= 103; ++id) REQUIRE(c.send("up", "1", true, id, now) == SendStatus::Ok);
    const std::vector<Message> sent = sent_of_type(drain_sent(c), MessageType::Channel);
    REQUIRE(sent.size() == 3);
    feed(c, subscribed("c", "e1", 0), ++now);
    feed(c, stream_message("c", 1, 1), ++now);
    feed(c, stream_message("c", 2, 2), ++now);
    feed(c, stream_message("c", 4, 4), ++now);
    REQUIRE(c.receiver().delivered_up_to() == 2);
    REQUIRE(c.receiver().buffered() == 1);
    REQUIRE(position_of(c, "c").offset == 2);
    drain_sent(c);
    drain_events(c);
    const Message auth = drop_and_reopen(c, now);
    REQUIRE(auth.session == "s1");
    REQUIRE(auth.last_seq == 2);
  }
};

}  // namespace

TEST_CASE("a recovered resume keeps the sends and starts the receive side afresh", "[core][session][cluster]") {
  InterruptedClient client;
  ClientSession& c = client.c;
  TimeMs now = client.now;
  // The new node committed the client's 1 before the old one died.
  feed(c, auth_success("s1", true, true, 1), ++now);
  std::vector<ClientEvent> events = drain_events(c);
  const std::vector<Message> sent = drain_sent(c);

  // Ready, as a resume: nothing was lost. AuthOk says recovered.
  REQUIRE(c.state() == ClientState::Ready);
  bool ready_resumed = false;
  const ClientEvent* ok = nullptr;
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::StateChanged && e.state == ClientState::Ready) ready_resumed = e.resumed;
    if (e.kind == ClientEvent::Kind::AuthOk) ok = &e;
  }
  CHECK(ready_resumed);
  REQUIRE(ok != nullptr);
  CHECK(ok->resumed);
  CHECK(ok->recovered);

  // Sends: 101 resolved as acked, 2 and 3 resent under the same sequences.
  CHECK(acked_ids(events) == std::vector<uint64_t>{101});
  const std::vector<Message> resent = sent_of_type(sent, MessageType::Channel);
  REQUIRE(resent.size() == 2);
  CHECK(resent[0].id == 2);
  CHECK(resent[1].id == 3);
  CHECK(c.sender().next_seq() == 4);

  // Receive: back to nothing delivered, the held 4 of the old node gone.
  CHECK(c.receiver().delivered_up_to() == 0);
  CHECK(c.receiver().buffered() == 0);
  CHECK(sent_of_type(sent, MessageType::Ack).empty());

  // Subscriptions: the new node holds none, so every wanted one again, with its position.
  const std::vector<Message> subs = sent_of_type(sent, MessageType::Subscribe);
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].channel == "c");
  CHECK(subs[0].epoch == "e1");
  CHECK(subs[0].offset == 2);

  // The new node numbers from 1: its first message is delivered, not a duplicate.
  feed(c, subscribed("c", "e1", 2), ++now);
  feed(c, stream_message("c", 1, 3), ++now);
  events = drain_events(c);
  CHECK(delivered_ids(events) == std::vector<uint64_t>{1});
  CHECK(c.counters().duplicates_dropped == 0);
  CHECK(position_of(c, "c").offset == 3);
  now = c.next_timeout();
  c.handle_timeout(now);
  const std::vector<Message> acks = sent_of_type(drain_sent(c), MessageType::Ack);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].up_to == 1);

  // The rest is acked by the new node: 101 does not resolve a second time.
  Message ack;
  ack.type = MessageType::Ack;
  ack.up_to = 3;
  feed(c, ack, ++now);
  CHECK(acked_ids(drain_events(c)) == std::vector<uint64_t>{102, 103});
  CHECK(c.sender().in_flight() == 0);

  // The next reconnect presents the new node's numbering.
  const Message auth = drop_and_reopen(c, now);
  CHECK(auth.last_seq == 1);
}

TEST_CASE("a plain resume keeps the receive side and replays only offline subscription changes",
          "[core][session][cluster]") {
  InterruptedClient client;
  ClientSession& c = client.c;
  TimeMs now = client.now;
  feed(c, auth_success("s1", true, false, 1), ++now);
  std::vector<ClientEvent> events = drain_events(c);
  const std::vector<Message> sent = drain_sent(c);
  REQUIRE(c.state() == ClientState::Ready);
  const ClientEvent* ok = nullptr;
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::AuthOk) ok = &e;
  }
  REQUIRE(ok != nullptr);
  CHECK(ok->resumed);
  CHECK_FALSE(ok->recovered);
  CHECK(acked_ids(events) == std::vector<uint64_t>{101});
  CHECK(sent_of_type(sent, MessageType::Channel).size() == 2);
  CHECK(sent_of_type(sent, MessageType::Subscribe).empty());  // the server kept them
  CHECK(c.receiver().delivered_up_to() == 2);
  CHECK(c.receiver().buffered() == 1);

  // 1 is a duplicate of what the same node sent before; 3 releases the held 4.
  feed(c, stream_message("c", 1, 1), ++now);
  CHECK(delivered_ids(drain_events(c)).empty());
  CHECK(c.counters().duplicates_dropped == 1);
  feed(c, stream_message("c", 3, 3), ++now);
  CHECK(delivered_ids(drain_events(c)) == std::vector<uint64_t>{3, 4});
  CHECK(position_of(c, "c").offset == 4);
}

TEST_CASE("recovered means nothing unless the server resumed the session we presented",
          "[core][session][cluster]") {
  InterruptedClient client;
  ClientSession& c = client.c;
  TimeMs now = client.now;
  feed(c, auth_success("other", true, true, 3), ++now);
  const std::vector<ClientEvent> events = drain_events(c);
  const ClientEvent* ok = nullptr;
  for (const ClientEvent& e : events) {
    if (e.kind == ClientEvent::Kind::AuthOk) ok = &e;
  }
  REQUIRE(ok != nullptr);
  CHECK_FALSE(ok->resumed);
  CHECK_FALSE(ok->recovered);
  // A new session: nothing resolves as acked, everything goes again from 1.
  CHECK(acked_ids(events).empty());
  const std::vector<Message> resent = sent_of_type(drain_sent(c), MessageType::Channel);
  REQUIRE(resent.size() == 3);
  CHECK(resent[0].id == 1);
  CHECK(c.receiver().delivered_up_to() == 0);
}

TEST_CASE("unsubscribe forgets a channel's position, close forgets them all", "[core][session][cluster]") {
  ClientSession c(default_client_config(), 1);
  REQUIRE(c.subscribe("a", 0) == SendStatus::Ok);
  REQUIRE(c.subscribe("b", 0) == SendStatus::Ok);
  make_ready(c, 1);
  feed(c, subscribed("a", "e1", 10), 2);
  feed(c, subscribed("b", "e1", 20), 3);
  REQUIRE(c.subscriptions().positions() == 2);

  REQUIRE(c.unsubscribe("a", 4) == SendStatus::Ok);
  CHECK(c.subscriptions().position("a") == nullptr);
  CHECK(c.subscriptions().positions() == 1);
  // Wanted again: from now on, not from where it stood.
  REQUIRE(c.subscribe("a", 5) == SendStatus::Ok);
  std::vector<Message> subs = sent_of_type(drain_sent(c), MessageType::Subscribe);
  REQUIRE(subs.size() == 1);
  CHECK(subs[0].epoch.empty());
  CHECK(subs[0].offset == 0);

  // close() starts a new session: the channels stay wanted, positions go.
  c.close(6);
  CHECK(c.subscriptions().size() == 2);
  CHECK(c.subscriptions().positions() == 0);
  c.connect(7);
  c.handle_open(7);
  drain_sent(c);
  feed(c, auth_success("s2"), 8);
  subs = sent_of_type(drain_sent(c), MessageType::Subscribe);
  REQUIRE(subs.size() == 2);
  for (const Message& sub : subs) {
    CHECK(sub.epoch.empty());
    CHECK(sub.offset == 0);
  }
}

TEST_CASE("positions never outnumber the wanted channels", "[core][session][cluster][memory]") {
  ClientSession c(default_client_config(), 1);
  constexpr int kWanted = 8;
  for (int i = 0; i < kWanted; ++i) REQUIRE(c.subscribe("w" + std::to_string(i), 0) == SendStatus::Ok);
  make_ready(c, 1);
  TimeMs now = 2;
  uint64_t seq = 0;
  // A server naming positions in 500 channels, only 8 of them wanted.
  for (int i = 0; i < 500; ++i) {
    const bool wanted = i % 50 == 0;
    const std::string channel = wanted ? "w" + std::to_string(i / 50 % kWanted) : "x" + std::to_string(i);
    feed(c, subscribed(channel, "e" + std::to_string(i), 1), ++now);
    feed(c, history_lost(channel, "h" + std::to_string(i)), ++now);
    feed(c, stream_message(channel, ++seq, 7), ++now);
    drain_events(c);
    drain_sent(c);
    REQUIRE(c.subscriptions().positions() <= c.subscriptions().size());
  }
  std::printf("wanted %zu, positions %zu after 500 channels named\n", c.subscriptions().size(),
              c.subscriptions().positions());
  CHECK(c.subscriptions().size() == kWanted);
  CHECK(c.subscriptions().positions() == kWanted);
  for (int i = 0; i < kWanted; ++i) REQUIRE(c.unsubscribe("w" + std::to_string(i), now) == SendStatus::Ok);
  CHECK(c.subscriptions().size() == 0);
  CHECK(c.subscriptions().positions() == 0);
}
