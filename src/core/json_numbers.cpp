#include "core/json_numbers.h"

namespace tether::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_number_char(char c) { return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, the whole of `token`.
bool is_json_number(std::string_view token) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < token.size() && is_digit(token[i])) ++i;
    return i > start;
  };
  if (i < token.size() && token[i] == '-') ++i;
  if (i < token.size() && token[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < token.size() && token[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < token.size() && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    if (i < token.size() && (token[i] == '+' || token[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == token.size();
}

// A superset of what RapidJSON refuses: an exponent, or more than about
// 308 integer digits (a double's range).
bool may_be_out_of_range(std::string_view token) {
  return token.size() >= 300 || token.find_first_of("eE") != std::string_view::npos;
}

}  // namespace

std::string_view number_token_at(std::string_view text, size_t offset) noexcept {
  if (offset >= text.size()) return {};
  size_t end = offset;
  while (end < text.size() && is_number_char(text[end])) ++end;
  return text.substr(offset, end - offset);
}

bool mask_wide_numbers(std::string_view text, std::string& masked) {
  masked.assign(text);
  bool changed = false;
  bool in_string = false;
  for (size_t i = 0; i < masked.size(); ++i) {
    const char c = masked[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !is_digit(c)) continue;
    const std::string_view token = number_token_at(text, i);
    if (may_be_out_of_range(token) && is_json_number(token)) {
      masked[i] = '0';
      for (size_t k = 1; k < token.size(); ++k) masked[i + k] = ' ';
      changed = true;
    }
    i += token.size() - 1;
  }
  return changed;
}

}  // namespace tether::core
