#pragma once
// Channel permissions carried in a token's "permissions" claim:
//   "admin"             every action on every channel
//   "publish:<glob>"    publish on channels matching <glob>
//   "subscribe:<glob>"  subscribe to channels matching <glob>
// In a glob, '*' matches any run of characters, including ':' and none.
// Matching is case-sensitive. Any other string (e.g. "moderator") is an
// application permission: kept, queryable with has(), never grants channels.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tether::core {

enum class ChannelAction : uint8_t { Publish, Subscribe };

// "publish" / "subscribe".
const char* channel_action_name(ChannelAction action) noexcept;

// Whole-string match of `text` against `pattern`, where '*' matches any run.
// Iterative with a single backtrack point: O(pattern * text) at worst, never
// exponential (e.g. "a*a*a*a*b" against a long run of 'a').
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

class PermissionSet {
 public:
  PermissionSet() = default;  // allows nothing
  explicit PermissionSet(std::vector<std::string> permissions);

  bool allows(ChannelAction action, std::string_view channel) const noexcept;
  // True when this exact string was granted, or when "admin" was.
  bool has(std::string_view permission) const noexcept;
  // Every granted string, in the order given.
  const std::vector<std::string>& list() const noexcept { return permissions_; }

 private:
  std::vector<std::string> permissions_;
  // Parsed once at construction, since allows() runs on every publish and subscribe.
  bool is_admin_ = false;
  std::vector<std::string> publish_globs_;
  std::vector<std::string> subscribe_globs_;
};

}  // namespace tether::core
