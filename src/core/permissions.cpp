#include "core/permissions.h"

#include <algorithm>
#include <utility>

namespace tether::core {
namespace {

constexpr std::string_view kAdmin = "admin";
constexpr std::string_view kPublishPrefix = "publish:";
constexpr std::string_view kSubscribePrefix = "subscribe:";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

const char* channel_action_name(ChannelAction action) noexcept {
  switch (action) {
    case ChannelAction::Publish: return "publish";
    case ChannelAction::Subscribe: return "subscribe";
  }
  return "unknown";  // out-of-range value cast into the enum
}

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  size_t p = 0;
  size_t t = 0;
  // Only the most recent '*' needs revisiting: a later star can absorb
  // anything an earlier one could, so backtracking further never helps.
  size_t star = std::string_view::npos;
  size_t text_after_star = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      text_after_star = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;  // let the star swallow one more character and retry
      t = ++text_after_star;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

PermissionSet::PermissionSet(std::vector<std::string> permissions)
    : permissions_(std::move(permissions)) {
  for (const std::string& permission : permissions_) {
    const std::string_view view = permission;
    if (view == kAdmin) {
      is_admin_ = true;
    } else if (starts_with(view, kPublishPrefix)) {
      publish_globs_.emplace_back(view.substr(kPublishPrefix.size()));
    } else if (starts_with(view, kSubscribePrefix)) {
      subscribe_globs_.emplace_back(view.substr(kSubscribePrefix.size()));
    }
  }
}

bool PermissionSet::allows(ChannelAction action, std::string_view channel) const noexcept {
  if (is_admin_) return true;
  const std::vector<std::string>& globs =
      action == ChannelAction::Publish ? publish_globs_ : subscribe_globs_;
  return std::any_of(globs.begin(), globs.end(), [channel](const std::string& glob) {
    return glob_match(glob, channel);
  });
}

bool PermissionSet::has(std::string_view permission) const noexcept {
  if (is_admin_) return true;
  return std::find(permissions_.begin(), permissions_.end(), permission) != permissions_.end();
}

}  // namespace tether::core
