#pragma once
// RapidJSON reading shared by the codec's decoder (codec.cpp) and its
// validators (codec_validate.cpp). Internal to src/core.
#include <rapidjson/allocators.h>
#include <rapidjson/encodings.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stream.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

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

// Drops what one decode call appended to `out` and `issues` (from the sizes
// they had before it).
inline void truncate_decoded(std::vector<Message>& out, size_t out_before, std::vector<DecodeIssue>& issues,
                             size_t issues_before) {
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(out_before), out.end());
  issues.erase(issues.begin() + static_cast<std::ptrdiff_t>(issues_before), issues.end());
}

// The end of every frame decoder: a frame-level `error` voids the whole
// frame, so what it had decoded goes and one issue says why.
inline CodecError finish_decode(CodecError error, std::string&& detail, std::vector<Message>& out, size_t out_before,
                                std::vector<DecodeIssue>& issues, size_t issues_before) noexcept {
  if (error == CodecError::None) return error;
  truncate_decoded(out, out_before, issues, issues_before);
  try {
    issues.push_back({error, std::move(detail)});
  } catch (...) {  // out of memory: the return value still reports the error
  }
  return error;
}

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

// Pure ASCII is valid UTF-8: then RapidJSON need not check every string
// byte (its check goes byte by byte, and turns its SSE2 string scan off).
inline bool is_ascii(std::string_view text) {
  const char* p = text.data();
  size_t n = text.size();
  uint64_t high_bits = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    high_bits |= word;
  }
  for (; n > 0; ++p, --n) high_bits |= static_cast<unsigned char>(*p);
  return (high_bits & 0x8080808080808080ull) == 0;
}

// RapidJSON 1.1.0's SSE2 string scan tests "byte < 0x20" as "max(byte,
// 0x19) == 0x19", so raw control bytes 0x1A..0x1F inside a string slip
// through it (depending on where the 16-byte blocks fall), while its
// byte-by-byte path refuses them. Such a byte is invalid anywhere in JSON
// text, so a text holding one goes to the byte-by-byte path (a MemoryStream).
inline bool has_control_byte_sse2_misses(std::string_view text) {
  bool found = false;
  for (const char c : text) {  // no early exit, so the compiler can vectorize
    const auto byte = static_cast<unsigned char>(c);
    found |= byte >= 0x1A && byte <= 0x1F;
  }
  return found;
}

// The text as RapidJSON's SSE2 paths (RAPIDJSON_SSE2, set for x86-64 in
// src/core/CMakeLists.txt) want it: a StringStream over a NUL-terminated
// copy, padded because they load whole aligned 16-byte blocks. Then strings
// and whitespace are scanned 16 bytes at a time instead of one. A NUL inside
// the text ends the stream early; raw NUL is never valid JSON, and what
// follows it is reported as trailing junk or an unterminated string.
//
// A handler that asks the stream where it is (Tell()) must know that
// RapidJSON parses strings and numbers on a copy of a StringStream and
// writes it back after the handler's callback: inside String(), Key() and
// RawNumber() Tell() is where that token starts (a MemoryStream is not
// copied: there it is just past the token). Elsewhere (the ends of objects
// and arrays, after a literal) it is just past what was read, either way.
class PaddedStream {
 public:
  explicit PaddedStream(std::string_view text)
      : copy_(text.size() + kSimdPadding <= kReusedBytes ? reused() : large_) {
    copy_.assign(text.data(), text.size());
    copy_.append(kSimdPadding, '\0');
    stream_ = rapidjson::StringStream(copy_.data());
  }
  rapidjson::StringStream& stream() { return stream_; }

 private:
  static constexpr size_t kSimdPadding = 16;
  // Each thread reuses one buffer up to this size; a larger text's copy is
  // freed after its parse, so no thread keeps a megabyte around.
  static constexpr size_t kReusedBytes = 64 * 1024;
  static std::string& reused() {
    thread_local std::string buffer;
    return buffer;
  }

  std::string large_;
  std::string& copy_;
  rapidjson::StringStream stream_{""};
};

// The parse itself, on the stream parse_json picked.
template <typename Stream, typename Handler>
CodecError parse_with(Stream& stream, std::string_view text, Handler& handler, std::string* detail,
                      bool* number_too_big, bool validate_utf8) {
  json::InlineArena<1024> arena;
  rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, json::Arena> reader(arena.get(), 256);
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

// Parses `text` with `handler`; returns the error and, if asked, where and
// why. `number_too_big` (if given) tells whether RapidJSON refused a number
// as out of range: valid JSON that json_numbers.h makes parseable.
// `validate_utf8` false skips RapidJSON's check of every string byte, for
// text the caller knows is valid UTF-8 (CodecLimits::text_is_utf8); escapes
// such as a lone "\uD800" are still refused. The handler's set_stream()
// gets the stream (see PaddedStream for what Tell() means) and `text`.
template <typename Handler>
CodecError parse_json(std::string_view text, Handler& handler, std::string* detail,
                      bool* number_too_big = nullptr, bool validate_utf8 = true) {
  if (validate_utf8 && is_ascii(text)) validate_utf8 = false;
  if (has_control_byte_sse2_misses(text)) {  // invalid JSON: the careful reader says how
    rapidjson::MemoryStream stream(text.data(), text.size());
    handler.set_stream(&stream, text);
    return parse_with(stream, text, handler, detail, number_too_big, validate_utf8);
  }
  PaddedStream padded(text);
  handler.set_stream(&padded.stream(), text);
  return parse_with(padded.stream(), text, handler, detail, number_too_big, validate_utf8);
}

inline std::string too_large_detail(size_t size, size_t limit) {
  return std::to_string(size) + " bytes, limit " + std::to_string(limit);
}

}  // namespace tether::core::codec_detail
