#pragma once
// One server log entry: an event name, then key=value fields. Values may come
// from peers (close reasons, user ids, error details), so they are escaped
// and cut: a client can neither forge extra lines nor flood the log.
#include <string>
#include <string_view>
#include <type_traits>

namespace tether::server {

class LogLine {
 public:
  explicit LogLine(std::string_view event) : text_(event) {}

  LogLine& add(std::string_view key, std::string_view value);
  LogLine& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
  LogLine& add(std::string_view key, const std::string& value) { return add(key, std::string_view(value)); }
  template <typename Number, typename = std::enable_if_t<std::is_arithmetic_v<Number>>>
  LogLine& add(std::string_view key, Number value) {
    if constexpr (std::is_same_v<Number, bool>) {
      return add_raw(key, value ? "true" : "false");
    } else {
      return add_raw(key, std::to_string(value));
    }
  }

  const std::string& text() const { return text_; }

 private:
  LogLine& add_raw(std::string_view key, std::string_view value);
  std::string text_;
};

}  // namespace tether::server
