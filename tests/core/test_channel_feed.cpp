// ChannelFeed: a cluster node's view of one channel, in offset order with
// nothing missing, although Redis pub/sub may drop messages (a subscriber
// connection that reconnected) and the node may start mid-stream.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/channel_feed.h"

using namespace tether::core;

namespace {

FeedEntry reliable(uint64_t offset) {
  FeedEntry e;
  e.offset = offset;
  e.reliable = true;
  e.data = std::to_string(offset);
  return e;
}

std::vector<uint64_t> drain(ChannelFeed& feed) {
  std::vector<uint64_t> out;
  FeedEntry e;
  while (feed.poll_delivery(e)) out.push_back(e.offset);
  return out;
}

std::vector<FeedEntry> stream(uint64_t from, uint64_t to) {
  std::vector<FeedEntry> out;
  for (uint64_t o = from; o <= to; ++o) out.push_back(reliable(o));
  return out;
}

struct Range {
  uint64_t request = 0, from = 0, to = 0;
};

bool next_range(ChannelFeed& feed, Range& r) { return feed.poll_range_request(r.request, r.from, r.to); }

}  // namespace

TEST_CASE("a feed delivers in offset order, once, from after the top it started at", "[core][cluster][feed]") {
  ChannelFeed feed;
  feed.handle_message("e1", reliable(5));  // before the top is known: held
  feed.handle_message("e1", reliable(6));
  CHECK(drain(feed).empty());
  feed.handle_top("e1", 5);  // 5 was published before the feed began
  CHECK(drain(feed) == std::vector<uint64_t>{6});
  feed.handle_message("e1", reliable(7));
  feed.handle_message("e1", reliable(7));  // a repeat
  feed.handle_message("e1", reliable(6));
  CHECK(drain(feed) == std::vector<uint64_t>{7});
  Range r;
  CHECK_FALSE(next_range(feed, r));
  CHECK_FALSE(feed.take_history_lost());
}

TEST_CASE("a gap is fetched from the stream and what came after it waits", "[core][cluster][feed]") {
  ChannelFeed feed;
  feed.handle_top("e1", 2);
  feed.handle_message("e1", reliable(3));
  feed.handle_message("e1", reliable(6));  // 4 and 5 were missed
  feed.handle_message("e1", reliable(7));
  CHECK(drain(feed) == std::vector<uint64_t>{3});
  Range r;
  REQUIRE(next_range(feed, r));
  CHECK(r.from == 4);
  CHECK(r.to == 5);
  Range again;
  CHECK_FALSE(next_range(feed, again));  // one request in flight at a time
  feed.handle_range(r.request, stream(4, 5));
  CHECK(drain(feed) == std::vector<uint64_t>{4, 5, 6, 7});
  CHECK(feed.held() == 0);
  CHECK(feed.held_bytes() == 0);
}

TEST_CASE("after a reconnect the top read again reveals what pub/sub dropped", "[core][cluster][feed]") {
  ChannelFeed feed;
  feed.handle_top("e1", 0);
  feed.handle_message("e1", reliable(1));
  CHECK(drain(feed) == std::vector<uint64_t>{1});
  feed.handle_top("e1", 4);  // 2..4 were published while the subscriber was away
  Range r;
  REQUIRE(next_range(feed, r));
  CHECK(r.from == 2);
  CHECK(r.to == 4);
  feed.handle_range_failed(r.request);  // Redis went away again: asked again
  REQUIRE(next_range(feed, r));
  CHECK(r.from == 2);
  feed.handle_message("e1", reliable(5));  // live traffic meanwhile waits behind the gap
  feed.handle_range(r.request, stream(2, 4));
  CHECK(drain(feed) == std::vector<uint64_t>{2, 3, 4, 5});
}

TEST_CASE("offsets the stream no longer has are skipped and reported as lost history",
          "[core][cluster][feed]") {
  ChannelFeed feed;
  feed.handle_top("e1", 0);
  feed.handle_message("e1", reliable(10));
  Range r;
  REQUIRE(next_range(feed, r));
  CHECK(r.from == 1);
  CHECK(r.to == 9);
  feed.handle_range(r.request, stream(7, 9));  // 1..6 were trimmed away
  CHECK(drain(feed) == std::vector<uint64_t>{7, 8, 9, 10});
  CHECK(feed.take_history_lost());
  CHECK_FALSE(feed.take_history_lost());

  feed.handle_message("e1", reliable(13));
  REQUIRE(next_range(feed, r));
  feed.handle_range(r.request, {});  // the stream expired altogether
  CHECK(drain(feed) == std::vector<uint64_t>{13});
  CHECK(feed.take_history_lost());
}

TEST_CASE("a new epoch restarts the offsets, and an answer about the old one is ignored",
          "[core][cluster][feed]") {
  ChannelFeed feed;
  feed.handle_top("e1", 0);
  feed.handle_message("e1", reliable(1));
  feed.handle_message("e1", reliable(4));
  Range old;
  REQUIRE(next_range(feed, old));
  // Redis restarted without its data: the channel starts over.
  feed.handle_message("e2", reliable(1));
  CHECK(feed.take_history_lost());
  CHECK(feed.epoch() == "e2");
  feed.handle_range(old.request, stream(2, 3));  // about e1: dropped
  CHECK(drain(feed) == std::vector<uint64_t>{1, 1});
  feed.handle_message("e2", reliable(2));
  CHECK(drain(feed) == std::vector<uint64_t>{2});
}

TEST_CASE("unreliable messages go out at once, even past a gap", "[core][cluster][feed]") {
  ChannelFeed feed;
  FeedEntry fire;
  fire.data = "\"now\"";
  feed.handle_message("e1", FeedEntry(fire));  // not started: nobody to give it to
  CHECK(drain(feed).empty());
  feed.handle_top("e1", 0);
  feed.handle_message("e1", reliable(3));
  feed.handle_message("e1", FeedEntry(fire));
  CHECK(drain(feed) == std::vector<uint64_t>{0});
}

TEST_CASE("held messages are bounded in bytes, and ranges in entries", "[core][cluster][feed]") {
  ChannelFeed feed(100);
  feed.handle_top("e1", 0);
  for (uint64_t o = 2; o <= 3000; ++o) feed.handle_message("e1", reliable(o));  // 1 was missed
  CHECK(feed.held_bytes() <= 100);
  std::vector<uint64_t> delivered;
  Range r;
  for (int rounds = 0; rounds < 10 && next_range(feed, r); ++rounds) {
    CHECK(r.to - r.from + 1 <= ChannelFeed::kMaxRangeEntries);
    feed.handle_range(r.request, stream(r.from, r.to));
    for (uint64_t o : drain(feed)) delivered.push_back(o);
  }
  REQUIRE(delivered.size() == 3000);
  for (size_t i = 0; i < delivered.size(); ++i) CHECK(delivered[i] == i + 1);
  CHECK_FALSE(feed.take_history_lost());
}

TEST_CASE("a channel's first epoch is adopted without reporting lost history", "[core][cluster][feed]") {
  ChannelFeed feed;
  feed.handle_top("", 0);  // nothing was ever published here
  feed.handle_message("e1", reliable(1));
  CHECK(drain(feed) == std::vector<uint64_t>{1});
  CHECK_FALSE(feed.take_history_lost());
  CHECK(feed.epoch() == "e1");
}
