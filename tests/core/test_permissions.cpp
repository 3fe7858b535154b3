#include "core/permissions.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace tether::core;

namespace {

constexpr ChannelAction kPublish = ChannelAction::Publish;
constexpr ChannelAction kSubscribe = ChannelAction::Subscribe;

}  // namespace

TEST_CASE("channel action names", "[core][auth]") {
  CHECK(std::string(channel_action_name(kPublish)) == "publish");
  CHECK(std::string(channel_action_name(kSubscribe)) == "subscribe");
}

TEST_CASE("an empty permission set allows nothing", "[core][auth]") {
  const PermissionSet none;
  CHECK_FALSE(none.allows(kPublish, "chat"));
  CHECK_FALSE(none.allows(kSubscribe, "chat"));
  CHECK_FALSE(none.allows(kSubscribe, ""));
  CHECK_FALSE(none.has("admin"));
  CHECK(none.list().empty());

  const PermissionSet empty_list(std::vector<std::string>{});
  CHECK_FALSE(empty_list.allows(kPublish, "chat"));
}

TEST_CASE("exact channel permissions", "[core][auth]") {
  const PermissionSet set({"publish:chat"});
  CHECK(set.allows(kPublish, "chat"));
  CHECK_FALSE(set.allows(kPublish, "chat2"));
  CHECK_FALSE(set.allows(kPublish, "cha"));
  CHECK_FALSE(set.allows(kPublish, "Chat"));  // case-sensitive
  CHECK_FALSE(set.allows(kPublish, ""));
}

TEST_CASE("publish and subscribe are granted separately", "[core][auth]") {
  const PermissionSet publisher({"publish:chat"});
  CHECK(publisher.allows(kPublish, "chat"));
  CHECK_FALSE(publisher.allows(kSubscribe, "chat"));

  const PermissionSet subscriber({"subscribe:chat"});
  CHECK(subscriber.allows(kSubscribe, "chat"));
  CHECK_FALSE(subscriber.allows(kPublish, "chat"));

  const PermissionSet both({"subscribe:room:*", "publish:room:lobby"});
  CHECK(both.allows(kSubscribe, "room:42"));
  CHECK(both.allows(kPublish, "room:lobby"));
  CHECK_FALSE(both.allows(kPublish, "room:42"));
}

TEST_CASE("wildcard channel permissions", "[core][auth]") {
  const PermissionSet rooms({"subscribe:room:*"});
  CHECK(rooms.allows(kSubscribe, "room:1"));
  CHECK(rooms.allows(kSubscribe, "room:a:b"));  // '*' crosses ':'
  CHECK(rooms.allows(kSubscribe, "room:"));     // '*' matches nothing
  CHECK_FALSE(rooms.allows(kSubscribe, "room"));
  CHECK_FALSE(rooms.allows(kSubscribe, "lobby"));
  CHECK_FALSE(rooms.allows(kSubscribe, "xroom:1"));

  const PermissionSet any_publish({"publish:*"});
  CHECK(any_publish.allows(kPublish, "anything:at:all"));
  CHECK(any_publish.allows(kPublish, ""));
  CHECK_FALSE(any_publish.allows(kSubscribe, "anything"));
}

TEST_CASE("admin grants every action on every channel", "[core][auth]") {
  const PermissionSet admin({"admin"});
  CHECK(admin.allows(kPublish, "chat"));
  CHECK(admin.allows(kSubscribe, "room:secret"));
  CHECK(admin.allows(kPublish, ""));
  CHECK(admin.has("admin"));
  CHECK(admin.has("moderator"));

  // Only the exact string "admin" is the admin permission.
  for (const char* not_admin : {"Admin", "admin:", "admins", " admin"}) {
    const PermissionSet set({not_admin});
    INFO(not_admin);
    CHECK_FALSE(set.allows(kPublish, "chat"));
    CHECK_FALSE(set.has("moderator"));
    CHECK(set.has(not_admin));
  }
}

TEST_CASE("application permissions are kept and queryable", "[core][auth]") {
  const PermissionSet set({"moderator", "publish:chat", "publish", "subscribe"});
  CHECK(set.has("moderator"));
  CHECK(set.has("publish:chat"));
  CHECK(set.has("publish"));
  CHECK_FALSE(set.has("mod"));
  CHECK_FALSE(set.has("moderators"));
  CHECK_FALSE(set.has("admin"));
  // "publish" and "subscribe" without a colon name no channel.
  CHECK_FALSE(set.allows(kSubscribe, "chat"));
  CHECK_FALSE(set.allows(kPublish, "publish"));
  CHECK(set.list() == std::vector<std::string>{"moderator", "publish:chat", "publish", "subscribe"});
}

TEST_CASE("a copied permission set stands on its own", "[core][auth]") {
  PermissionSet copy;
  {
    const PermissionSet original({"subscribe:room:*", "moderator"});
    copy = original;
  }
  CHECK(copy.allows(kSubscribe, "room:7"));
  CHECK_FALSE(copy.allows(kPublish, "room:7"));
  CHECK(copy.has("moderator"));
}

TEST_CASE("glob_match edge cases", "[core][auth]") {
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "a"));
  CHECK_FALSE(glob_match("a", ""));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "anything:at:all"));
  CHECK(glob_match("**", "x"));
  CHECK(glob_match("***", ""));
  CHECK(glob_match("abc", "abc"));
  CHECK_FALSE(glob_match("abc", "abcd"));
  CHECK_FALSE(glob_match("abcd", "abc"));
  CHECK(glob_match("a*", "a"));
  CHECK(glob_match("*a", "ba"));
  CHECK_FALSE(glob_match("*a", "ab"));
  CHECK(glob_match("a*b*c", "abc"));
  CHECK(glob_match("a*b*c", "aXXbYYc"));
  CHECK(glob_match("a*b*c", "abcbc"));
  CHECK_FALSE(glob_match("a*b*c", "acb"));
  CHECK_FALSE(glob_match("a*b*c", "abcx"));
  CHECK(glob_match("*:*:*", "room:a:b"));
  CHECK_FALSE(glob_match("*:*:*", "room:a"));
  CHECK(glob_match("a*", "a*"));  // a literal '*' in the text is just a character
  CHECK_FALSE(glob_match("a", "*"));
  CHECK(glob_match("*ab*ab", "xabyabab"));  // needs the star to retry after a partial match
}

TEST_CASE("glob_match does not backtrack exponentially", "[core][auth]") {
  // Recursive matchers take exponential time here; this one finishes at once.
  const std::string pattern = "a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
  const std::string many_a(20000, 'a');
  CHECK_FALSE(glob_match(pattern, many_a));
  CHECK(glob_match(pattern, many_a + "b"));
  CHECK_FALSE(glob_match(std::string(100, '*') + "b", many_a));
}
