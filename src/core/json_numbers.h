#pragma once
// Numbers beyond the range of a double in otherwise valid JSON.
//
// JSON (RFC 8259) puts no limit on a number's size, and a message's `data`
// belongs to the application, so `{"data":1e400}` must pass through as it
// came. RapidJSON 1.1 refuses such numbers (kParseErrorNumberTooBig) even
// when asked for their text, so the codec parses a masked copy of the frame
// instead, in which each such number is "0" padded with spaces to the same
// length, and reads every number's text from the original: offsets match, so
// the token starting where the reader found its number is the real one.
// Used only after a parse failed that way; the common path never pays for it.
#include <cstddef>
#include <string>
#include <string_view>

namespace tether::core {

// Copies `text` into `masked` with every well-formed number token outside
// strings that a double might not hold (one with an exponent, or 300 or
// more characters long) replaced by "0" and spaces. Tokens that are not
// well-formed JSON numbers are left alone, so the masked copy is valid JSON
// exactly when `text` is. Returns true if anything was masked.
bool mask_wide_numbers(std::string_view text, std::string& masked);

// The number token that starts at `offset` of `text` (the characters a JSON
// number can contain), or an empty view past the end.
std::string_view number_token_at(std::string_view text, size_t offset) noexcept;

}  // namespace tether::core
