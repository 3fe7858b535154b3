// Client rules from issue 8: channel names are validated before anything is
// queued (defect 2), and connect() after close() starts a new session (defect 4).
#include <catch2/catch.hpp>

#include <string>

#include "event_helpers.h"
#include "sim_pair.h"

using namespace tether::core;
using namespace tether::test;

namespace {

const std::string kBadChannels[] = {
    "",                                  // empty
    "\xFF\xFE",                          // not UTF-8
    "room\xC3",                          // a truncated sequence
    "\xED\xA0\x80",                      // an encoded surrogate
    "\xC0\xAF",                          // an overlong '/'
    std::string("a\0b", 3),              // NUL inside
    std::string(kMaxChannelBytes + 1, 'c'),
};

}  // namespace

TEST_CASE("channel names: 1..256 bytes of UTF-8 without NUL", "[core][channel]") {
  for (const std::string& bad : kBadChannels) {
    INFO("channel bytes: " << bad.size());
    CHECK_FALSE(is_valid_channel(bad));
  }
  CHECK(is_valid_channel("room:7"));
  CHECK(is_valid_channel("caf\xC3\xA9 \xF0\x9F\x8E\xAE"));  // "café 🎮"
  CHECK(is_valid_channel(std::string(kMaxChannelBytes, 'c')));
  CHECK(is_valid_channel("quote\" back\\slash \x01"));  // escaped on the wire, still valid
}

TEST_CASE("send, subscribe and unsubscribe refuse a bad channel and queue nothing", "[core][channel]") {
  SimPair p;
  for (const std::string& bad : kBadChannels) {
    INFO("channel bytes: " << bad.size());
    CHECK(p.client.send(bad, "1", true, 1, p.now) == SendStatus::InvalidChannel);
    CHECK(p.client.send(bad, "1", false, 0, p.now) == SendStatus::InvalidChannel);
    CHECK(p.client.subscribe(bad, p.now) == SendStatus::InvalidChannel);
    CHECK(p.client.unsubscribe(bad, p.now) == SendStatus::InvalidChannel);
  }
  CHECK(p.client.sender().queued_messages() == 0);
  p.connect();
  REQUIRE(p.run_until([&] { return is_ready(p); }, 1000));
  p.advance(100);
  CHECK(count_server_events(p, ServerEvent::Kind::Subscribed) == 0);
  CHECK(count_server_events(p, ServerEvent::Kind::Unsubscribed) == 0);
  CHECK(count_server_events(p, ServerEvent::Kind::Publish) == 0);
  // Ready changes nothing: still refused, still nothing on the wire.
  const uint64_t frames = p.client.counters().frames_sent;
  CHECK(p.client.subscribe("\xFF\xFE", p.now) == SendStatus::InvalidChannel);
  CHECK(p.client.send(std::string(300, 'c'), "1", true, 2, p.now) == SendStatus::InvalidChannel);
  p.advance(100);
  CHECK(p.client.counters().frames_sent == frames);
  // A channel at the maximum works end to end.
  const std::string longest(kMaxChannelBytes, 'c');
  REQUIRE(p.client.subscribe(longest, p.now) == SendStatus::Ok);
  REQUIRE(p.client.send(longest, "1", true, 3, p.now) == SendStatus::Ok);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Acked) == 1; }, 1000));
  CHECK(p.server()->state()->subscriptions.count(longest) == 1);
}

TEST_CASE("connect after close starts a new session and resubscribes", "[core][session]") {
  SimPair p;
  p.client.subscribe("news", p.now);
  p.connect();
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Subscribed) == 1; }, 1000));
  const std::string old_session = p.client.session_id();
  const auto old_state = p.server()->state();
  // The server delivers one message, so the client has receive state to forget.
  old_state->enqueue("news", "1", true, 1);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Message) == 1; }, 1000));

  p.client.close(p.now);
  p.advance(100);
  CHECK(p.client.session_id().empty());
  CHECK(p.client.receiver().delivered_up_to() == 0);
  // Published while closed: for the old session only.
  old_state->enqueue("news", "\"missed\"", true, 1);
  p.client_events.clear();

  p.client.connect(p.now);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Subscribed) == 1; }, 1000));
  const ClientEvent* ok = last_event(p, ClientEvent::Kind::AuthOk);
  REQUIRE(ok != nullptr);
  CHECK_FALSE(ok->resumed);
  CHECK(p.client.session_id() != old_session);
  CHECK(p.server()->state() != old_state);
  CHECK(p.server()->state()->subscriptions.count("news") == 1);  // kept and re-sent
  p.advance(2000);
  CHECK(count_events(p, ClientEvent::Kind::Message) == 0);  // "missed" is not delivered

  // The new session works: sequences start over.
  p.server()->state()->enqueue("news", "2", true, 1);
  REQUIRE(p.run_until([&] { return count_events(p, ClientEvent::Kind::Message) == 1; }, 1000));
  CHECK(last_event(p, ClientEvent::Kind::Message)->message_id == 1);
}
