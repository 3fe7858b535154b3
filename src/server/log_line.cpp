#include "server/log_line.h"

#include <cstdio>

namespace tether::server {

namespace {
constexpr size_t kMaxValueBytes = 160;

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}
}  // namespace

LogLine& LogLine::add_raw(std::string_view key, std::string_view value) {
  text_ += ' ';
  text_ += key;
  text_ += '=';
  text_ += value;
  return *this;
}

LogLine& LogLine::add(std::string_view key, std::string_view value) {
  if (!needs_quotes(value)) return add_raw(key, value.substr(0, kMaxValueBytes));
  std::string quoted = "\"";
  const std::string_view shown = value.substr(0, kMaxValueBytes);
  for (const char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  if (shown.size() < value.size()) quoted += "...";
  quoted += '"';
  return add_raw(key, quoted);
}

}  // namespace tether::server
