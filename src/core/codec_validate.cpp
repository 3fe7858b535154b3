// The codec's checks that build nothing: codec error names, channel names,
// and whether an application payload is one JSON value within the limits.
#include <rapidjson/encodings.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <string>

#include "core/codec.h"
#include "core/codec_parse.h"
#include "core/json_numbers.h"
#include "core/json_writer.h"

namespace tether::core {
namespace {

using json::has_lone_surrogate;

// Tracks depth only: for validate_json_payload.
class DepthHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, DepthHandler> {
 public:
  explicit DepthHandler(unsigned max_depth) : max_depth_(max_depth) {}
  void set_stream(const rapidjson::StringStream*, std::string_view) {}
  void set_stream(const rapidjson::MemoryStream*, std::string_view) {}
  bool Default() { return true; }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    return check_string(str, length);
  }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    return check_string(str, length);
  }
  bool StartObject() { return enter(); }
  bool StartArray() { return enter(); }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool EndArray(rapidjson::SizeType) { return leave(); }
  CodecError raised() const { return error_; }

 private:
  bool check_string(const char* str, rapidjson::SizeType length) {
    if (!has_lone_surrogate(str, length)) return true;
    error_ = CodecError::InvalidUtf8;
    return false;
  }
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    error_ = CodecError::TooDeep;
    return false;
  }
  bool leave() {
    --depth_;
    return true;
  }

  unsigned max_depth_;
  unsigned depth_ = 0;
  CodecError error_ = CodecError::None;
};

}  // namespace

const char* codec_error_name(CodecError error) noexcept {
  switch (error) {
    case CodecError::None: return "none";
    case CodecError::TooLarge: return "too_large";
    case CodecError::Malformed: return "malformed";
    case CodecError::InvalidUtf8: return "invalid_utf8";
    case CodecError::TooDeep: return "too_deep";
    case CodecError::NotAnObject: return "not_an_object";
    case CodecError::EmptyBatch: return "empty_batch";
    case CodecError::BatchTooLong: return "batch_too_long";
    case CodecError::WrongType: return "wrong_type";
    case CodecError::MissingField: return "missing_field";
    case CodecError::UnknownType: return "unknown_type";
  }
  return "unknown_error";
}

bool is_valid_utf8(std::string_view text) noexcept {
  if (codec_detail::is_ascii(text)) return true;
  // RapidJSON's validator rejects overlong forms, surrogates and truncated
  // sequences; the memory stream reads NUL past the end, which no tail matches.
  rapidjson::MemoryStream stream(text.data(), text.size());
  codec_detail::DiscardStream discard;
  while (stream.Tell() < text.size()) {
    if (!rapidjson::UTF8<>::Validate(stream, discard)) return false;
  }
  return true;
}

bool is_valid_channel(std::string_view channel) noexcept {
  if (channel.empty() || channel.size() > kMaxChannelBytes) return false;
  if (channel.find('\0') != std::string_view::npos) return false;
  return is_valid_utf8(channel);
}

CodecError validate_json_payload(std::string_view json, const CodecLimits& limits) noexcept {
  if (json.size() > limits.max_frame_bytes) return CodecError::TooLarge;
  try {
    DepthHandler handler(limits.max_depth);
    bool number_too_big = false;
    const CodecError error = codec_detail::parse_json(json, handler, nullptr, &number_too_big);
    std::string masked;
    if (!number_too_big || !mask_wide_numbers(json, masked)) return error;
    DepthHandler retry(limits.max_depth);  // numbers do not matter here
    return codec_detail::parse_json(masked, retry, nullptr);
  } catch (...) {
    return CodecError::TooLarge;
  }
}

}  // namespace tether::core
