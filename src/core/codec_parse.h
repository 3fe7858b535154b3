#pragma once
// RapidJSON reading shared by the codec's decoder (codec.cpp) and its
// validators (codec_validate.cpp). Internal to src/core.
#include <rapidjson/allocators.h>
#include <rapidjson/encodings.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/codec.h"
#include "core/json_writer.h"

namespace tether::core::codec_detail {

inline constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                                        rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseNumbersAsStringsFlag;

// An output stream for validators that only need the verdict.
struct DiscardStream {
  using Ch = char;
  void Put(char) {}
  void Flush() {}
};

inline bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// StopWhenDone ends at the root value, so anything but whitespace after it
// (including a NUL byte, which RapidJSON's stream reads as end of input) is junk.
inline size_t first_trailing_byte(std::string_view text, size_t offset) {
  while (offset < text.size() && is_json_whitespace(text[offset])) ++offset;
  return offset;
}

inline std::string offset_detail(size_t offset, const char* why) {
  return "offset " + std::to_string(offset) + ": " + why;
}

// A parse error the handler did not raise itself. An escaped lone high
// surrogate ("\uD800") cannot become UTF-8 either.
inline CodecError map_parse_error(rapidjson::ParseErrorCode code) {
  return code == rapidjson::kParseErrorStringInvalidEncoding ||
                 code == rapidjson::kParseErrorStringUnicodeSurrogateInvalid
             ? CodecError::InvalidUtf8
             : CodecError::Malformed;
}

// Parses `text` with `handler`; returns the error and, if asked, where and
// why. `number_too_big` (if given) tells whether RapidJSON refused a number
// as out of range: valid JSON that json_numbers.h makes parseable.
// `validate_utf8` false skips RapidJSON's check of every string byte, for
// text the caller knows is valid UTF-8 (CodecLimits::text_is_utf8); escapes
// such as a lone "\uD800" are still refused.
template <typename Handler>
CodecError parse_json(std::string_view text, Handler& handler, std::string* detail,
                      bool* number_too_big = nullptr, bool validate_utf8 = true) {
  json::InlineArena<1024> arena;
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, json::Arena> reader(arena.get(), 256);
  rapidjson::MemoryStream stream(text.data(), text.size());
  handler.set_stream(&stream);
  constexpr unsigned kTrustedUtf8Flags = kParseFlags & ~unsigned{rapidjson::kParseValidateEncodingFlag};
  const rapidjson::ParseResult result = validate_utf8 ? reader.Parse<kParseFlags>(stream, handler)
                                                      : reader.Parse<kTrustedUtf8Flags>(stream, handler);
  if (number_too_big) {
    *number_too_big = result.Code() == rapidjson::kParseErrorNumberTooBig && handler.raised() == CodecError::None;
  }
  if (result.IsError()) {
    const CodecError raised = handler.raised();
    const CodecError error = raised != CodecError::None ? raised : map_parse_error(result.Code());
    if (detail) {
      *detail = offset_detail(result.Offset(), raised != CodecError::None
                                                   ? codec_error_name(raised)
                                                   : rapidjson::GetParseError_En(result.Code()));
    }
    return error;
  }
  const size_t trailing = first_trailing_byte(text, stream.Tell());
  if (trailing != text.size()) {
    if (detail) *detail = offset_detail(trailing, "unexpected data after the JSON value");
    return CodecError::Malformed;
  }
  return CodecError::None;
}

inline std::string too_large_detail(size_t size, size_t limit) {
  return std::to_string(size) + " bytes, limit " + std::to_string(limit);
}

}  // namespace tether::core::codec_detail
