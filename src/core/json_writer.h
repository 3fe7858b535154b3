#pragma once
// RapidJSON output plumbing for the codec's encoder and the validators, and
// the one check every parser in src/core needs (codec, JWT claims, session
// snapshots). Internal to src/core.
#include <rapidjson/allocators.h>
#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace tether::core::json {

// The buffer for every rapidjson::Writer into a string buffer. With
// RAPIDJSON_SSE2 (set on x86-64), RapidJSON 1.1.0's fast path for
// Writer<StringBuffer> leaves bytes 0x1A..0x1F unescaped (its SSE2 scan
// compares against 0x19), and JSON forbids them raw, so the text does not
// parse back: a state file holding one in a token's subject or the app state
// failed to load whole (the state_file fuzzer found it). Writer<
// EscapingStringBuffer> is another type, so it takes the generic path, which
// escapes every control byte.
struct EscapingStringBuffer : rapidjson::StringBuffer {};

// Writer output that writes straight into a std::string's storage, so encoded
// bytes are never staged in a StringBuffer and copied again. Bytes go through
// a cursor rather than push_back (which re-checks capacity and re-terminates
// per byte); the string may hold scratch bytes past the cursor until finish().
class StringAppendStream {
 public:
  using Ch = char;

  // `expected_bytes` sizes the first growth; a good guess means one resize.
  void begin(std::string& target, size_t expected_bytes = 0) {
    target_ = &target;
    cursor_ = limit_ = target.data() + target.size();
    if (expected_bytes > 0) grow(expected_bytes);
  }
  // Trims the target to exactly what was written.
  void finish() { target_->resize(static_cast<size_t>(cursor_ - target_->data())); }

  void reserve(size_t count) {
    if (static_cast<size_t>(limit_ - cursor_) < count) grow(count);
  }
  void put_unchecked(char c) { *cursor_++ = c; }
  void append(std::string_view bytes) {
    reserve(bytes.size());
    std::memcpy(cursor_, bytes.data(), bytes.size());
    cursor_ += bytes.size();
  }
  // The rapidjson output stream concept.
  void Put(char c) {
    reserve(1);
    put_unchecked(c);
  }
  void Flush() {}

 private:
  void grow(size_t count) {
    const size_t written = static_cast<size_t>(cursor_ - target_->data());
    target_->resize(std::max({written + count, 2 * target_->size(), size_t{128}}));
    cursor_ = target_->data() + written;
    limit_ = target_->data() + target_->size();
  }

  std::string* target_ = nullptr;
  char* cursor_ = nullptr;  // next byte to write
  char* limit_ = nullptr;   // end of the target's current size
};

// Found by argument-dependent lookup from inside rapidjson::Writer: reserve
// once per token, then copy bytes without checks.
inline void PutReserve(StringAppendStream& stream, size_t count) { stream.reserve(count); }
inline void PutUnsafe(StringAppendStream& stream, char c) { stream.put_unchecked(c); }

// A RapidJSON allocator whose first block lives inside this object, so the
// reader's and writer's small internal stacks cost no heap allocation.
template <size_t Bytes>
class InlineArena {
 public:
  InlineArena() : pool_(buffer_, sizeof(buffer_)) {}
  rapidjson::MemoryPoolAllocator<>* get() { return &pool_; }

 private:
  alignas(std::max_align_t) char buffer_[Bytes];
  rapidjson::MemoryPoolAllocator<> pool_;
};
using Arena = rapidjson::MemoryPoolAllocator<>;

// RapidJSON turns "\uDC00" (a low surrogate with no high one before it) into
// the bytes ED B0 80, which are not UTF-8, even when asked to validate. A
// validated string can only hold ED followed by A0..BF that way, so finding
// it means a lone surrogate: text that must be rejected, since writing it
// out again would produce invalid UTF-8.
inline bool has_lone_surrogate(const char* str, size_t length) {
  const auto byte = [&](size_t at) { return static_cast<unsigned char>(str[at]); };
  if (length < 32) {  // most strings are short: no memchr call
    for (size_t i = 0; i + 1 < length; ++i) {
      if (byte(i) == 0xED && byte(i + 1) >= 0xA0) return true;
    }
    return false;
  }
  // A long one (a payload): memchr finds lead bytes many at a time.
  for (size_t from = 0; from + 1 < length;) {
    const void* hit = std::memchr(str + from, 0xED, length - 1 - from);
    if (hit == nullptr) return false;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - str);
    if (byte(at + 1) >= 0xA0) return true;
    from = at + 1;
  }
  return false;
}
inline bool has_lone_surrogate(std::string_view text) { return has_lone_surrogate(text.data(), text.size()); }

// Whether rapidjson::Writer would escape any byte of `text` (it escapes
// exactly these; other bytes, UTF-8 included, are copied as they are).
inline bool needs_escaping(std::string_view text) {
  bool found = false;
  for (const char c : text) {  // no early exit, so the compiler can vectorize
    found |= static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\';
  }
  return found;
}

// rapidjson::Writer plus bulk appends for tokens that need no escaping: raw
// JSON (the stock RawValue copies byte by byte and asserts on NUL bytes),
// plain strings, and integers. Byte-at-a-time writes through a stream cost
// a store-to-load round trip each, so bulk copies roughly halve encode time.
class AppendWriter
    : public rapidjson::Writer<StringAppendStream, rapidjson::UTF8<>, rapidjson::UTF8<>, Arena> {
 public:
  AppendWriter(Arena* arena, size_t level_depth) : Writer(arena, level_depth) {}

  void raw(std::string_view json, rapidjson::Type type) {
    Prefix(type);
    os_->append(json);
  }
  // A key or a string value.
  bool string(std::string_view text) {
    if (needs_escaping(text)) {
      return String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    return plain_string(text);
  }
  // A string the caller knows needs no escaping, such as our own keys.
  bool plain_string(std::string_view text) {
    Prefix(rapidjson::kStringType);
    os_->reserve(text.size() + 2);
    os_->put_unchecked('"');
    os_->append(text);
    os_->put_unchecked('"');
    return true;
  }
  template <typename Int>
  void integer(Int value) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof(digits), value);
    Prefix(rapidjson::kNumberType);
    os_->append({digits, static_cast<size_t>(result.ptr - digits)});
  }
};

}  // namespace tether::core::json
