#include "core/codec.h"

#include <rapidjson/encodings.h>
#include <rapidjson/reader.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstring>
#include <iterator>

#include "core/codec_parse.h"
#include "core/codec_schema.h"
#include "core/json_numbers.h"
#include "core/json_writer.h"

namespace tether::core {
namespace {

using namespace codec_detail;
using json::has_lone_surrogate;

// An error names what it rejected (an unknown type, say), but echoes at most
// this much of it, cut at a character boundary: a 1 MiB "type" must not come
// back as a 1 MiB error frame, past the client's maxFrame (PROTOCOL.md 3.1).
constexpr size_t kMaxEchoedBytes = 64;

std::string_view echoable(std::string_view text) {
  if (text.size() <= kMaxEchoedBytes) return text;
  size_t end = kMaxEchoedBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not mid-character
  return text.substr(0, end);
}

// ---------------------------------------------------------------------------
// Decoding

// One JSON scalar as the reader reported it. Numbers stay as their source
// text (kParseNumbersAsStringsFlag) so "data" keeps them exactly.
struct Scalar {
  enum Kind : uint8_t { Null, Bool, Number, String } kind;
  bool boolean = false;
  std::string_view text;
};

template <typename Int>
bool parse_integer(std::string_view text, Int& value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc() && ptr == end;  // rejects "1.5", "1e3", "-1" for unsigned
}

// SAX handler that fills Messages as the reader walks the frame. It never
// builds a DOM: known fields are converted on the spot, and "data" is copied
// from the frame as written, once the reader has checked all of it.
class FrameHandler
    : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, FrameHandler> {
 public:
  FrameHandler(const CodecLimits& limits, std::vector<Message>& out, std::vector<DecodeIssue>& issues)
      : limits_(limits), out_(out), issues_(issues) {}

  CodecError raised() const { return frame_error_; }
  // Where the reader is. Inside String(), Key() and RawNumber() that is the
  // token's start on a StringStream and just past it on a MemoryStream
  // (codec_parse.h); elsewhere just past what was read, on both.
  void set_stream(const rapidjson::StringStream* stream, std::string_view text) {
    string_stream_ = stream;
    text_ = text;
  }
  void set_stream(const rapidjson::MemoryStream* stream, std::string_view text) {
    memory_stream_ = stream;
    text_ = text;
  }
  // The frame being parsed is a masked copy of `original` (json_numbers.h):
  // every number's text comes from the original, at the same offset.
  void read_numbers_from(std::string_view original) { original_ = original; }

  // --- SAX events
  bool Null() { return on_scalar({Scalar::Null, false, {}}); }
  bool Bool(bool b) { return on_scalar({Scalar::Bool, b, {}}); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool) {
    std::string_view text(str, length);
    if (original_.data() != nullptr) {
      const size_t start = memory_stream_ != nullptr ? tell() - std::min<size_t>(tell(), length) : tell();
      const std::string_view real = number_token_at(original_, start);
      if (!real.empty()) text = real;
    }
    return on_scalar({Scalar::Number, false, text});
  }
  bool String(const char* str, rapidjson::SizeType length, bool) {
    if (has_lone_surrogate(str, length)) return fail(CodecError::InvalidUtf8);
    return on_scalar({Scalar::String, false, {str, length}});
  }
  bool Key(const char* str, rapidjson::SizeType length, bool) {
    if (has_lone_surrogate(str, length)) return fail(CodecError::InvalidUtf8);
    if (mode_ == Mode::Data) return true;  // part of the slice taken at its end
    if (mode_ == Mode::None) {  // a message's own key; its value starts after the ':'
      field_ = lookup_field({str, length});
      after_key_ = memory_stream_ != nullptr ? tell() : string_token_end(frame(), tell());
    }
    return true;
  }
  bool StartObject() { return start_container(true); }
  bool StartArray() { return start_container(false); }
  bool EndObject(rapidjson::SizeType) { return end_container(true); }
  bool EndArray(rapidjson::SizeType) { return end_container(false); }

 private:
  // What the events below the current message key (or batch element) mean.
  enum class Mode : uint8_t {
    None,         // at message / batch / root level
    Data,         // inside an object or array "data": taken whole when it ends
    Permissions,  // inside the "permissions" array
    Skip,         // inside a value we ignore or already rejected
    NotObject,    // inside a batch element that is an array: an error once it ends
  };

  bool fail(CodecError error) {
    frame_error_ = error;
    return false;
  }

  bool start_container(bool is_object) {
    if (depth_ == 0) {  // the root decides: one message or a batch
      envelope_depth_ = is_object ? 1 : 2;
      depth_ = 1;
      if (is_object) begin_message();
      return true;
    }
    if (depth_ + 1 > uint64_t{limits_.max_depth} + envelope_depth_) {
      return fail(CodecError::TooDeep);
    }
    ++depth_;
    switch (mode_) {
      case Mode::Data:
        return true;
      case Mode::Permissions:  // a nested value where a string belongs
        reject_field(Field::Permissions);
        return true;
      case Mode::Skip:
      case Mode::NotObject:
        return true;
      case Mode::None:
        break;
    }
    if (depth_ == 2 && envelope_depth_ == 2) {  // a batch element
      if (!count_batch_element()) return false;
      if (is_object) {
        begin_message();
      } else {
        enter(Mode::NotObject, 1);  // judged when it ends, so depth is still checked
      }
      return true;
    }
    // A container as the value of a message field.
    if (field_ == Field::Data) {
      begin_data();
      enter(Mode::Data, envelope_depth_);
      return true;
    }
    if (field_ == Field::Permissions && !is_object) {
      message().permissions.clear();
      seen_ |= bit(Field::Permissions);
      enter(Mode::Permissions, envelope_depth_);
      return true;
    }
    if (field_ != Field::Unknown) reject_field(field_);
    enter(Mode::Skip, envelope_depth_);
    return true;
  }

  bool end_container(bool is_object) {
    const unsigned depth = depth_--;
    if (mode_ != Mode::None) {
      if (depth == mode_end_depth_ + 1) {  // the value that opened this mode is complete
        if (mode_ == Mode::NotObject) return fail(CodecError::NotAnObject);
        if (mode_ == Mode::Data) take_data_slice(nullptr);
        mode_ = Mode::None;
      }
      return true;
    }
    if (is_object) {  // a message object closes
      finish_message();
      return true;
    }
    // Only the batch array itself can close here.
    return batch_elements_ == 0 ? fail(CodecError::EmptyBatch) : true;
  }

  bool on_scalar(const Scalar& value) {
    switch (mode_) {
      case Mode::Data:
        return true;  // part of the slice taken at its end
      case Mode::Permissions:
        if (value.kind == Scalar::String) {
          message().permissions.emplace_back(value.text);
        } else {
          reject_field(Field::Permissions);
        }
        return true;
      case Mode::Skip:
      case Mode::NotObject:
        return true;
      case Mode::None:
        break;
    }
    if (depth_ == 0) return fail(CodecError::NotAnObject);  // the root is a scalar
    if (depth_ == 1 && envelope_depth_ == 2) {              // a batch element is a scalar
      return count_batch_element() && fail(CodecError::NotAnObject);
    }
    assign_field(value);
    return true;
  }

  bool count_batch_element() {
    return ++batch_elements_ > limits_.max_batch ? fail(CodecError::BatchTooLong) : true;
  }

  void enter(Mode mode, unsigned end_depth) {
    mode_ = mode;
    mode_end_depth_ = end_depth;
  }

  // --- one message

  Message& message() { return out_.back(); }

  void begin_message() {
    out_.emplace_back();
    field_ = Field::Unknown;
    seen_ = 0;
    rejected_ = 0;
    type_name_.clear();
    new_token_.clear();
  }

  void reject_field(Field f) { rejected_ |= bit(f); }

  void begin_data() {
    message().data.clear();
    seen_ |= bit(Field::Data);
  }

  // Where a string token that starts at `quote` ends (just past its closing
  // quote). The reader has checked the whole token before calling us, so
  // this only steps over escapes to find its end.
  static size_t string_token_end(std::string_view frame, size_t quote) {
    size_t from = quote + 1;
    while (from < frame.size()) {
      const void* found = std::memchr(frame.data() + from, '"', frame.size() - from);
      if (found == nullptr) break;
      const size_t at = static_cast<size_t>(static_cast<const char*>(found) - frame.data());
      size_t backslashes = 0;  // an odd run of them escapes this quote
      while (at - backslashes > quote + 1 && frame[at - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return at + 1;
      from = at + 1;
    }
    return frame.size();
  }

  // "data" has just been read whole: copy it as written, from the ':' after
  // its key (skipped, with whitespace) to its end. An object or array ends
  // at the '}' or ']' the reader is still at; a literal has been consumed;
  // a string starts where the reader is (on a StringStream); a number is as
  // long as its text (in a masked copy the reader saw "0" and padding).
  void take_data_slice(const Scalar* scalar) {
    const std::string_view frame = this->frame();
    size_t start = after_key_;
    while (start < frame.size() && (frame[start] == ':' || is_json_whitespace(frame[start]))) ++start;
    size_t end = tell();
    if (scalar == nullptr) {
      end += 1;
    } else if (scalar->kind == Scalar::Number) {
      end = start + scalar->text.size();
    } else if (scalar->kind == Scalar::String && memory_stream_ == nullptr) {
      end = string_token_end(frame, end);
    }
    message().data.assign(frame.substr(start, end - start));
  }

  size_t tell() const { return memory_stream_ != nullptr ? memory_stream_->Tell() : string_stream_->Tell(); }
  // The text offsets refer to: the original frame when parsing a masked
  // copy (same offsets), so wide numbers keep their digits.
  std::string_view frame() const { return original_.data() != nullptr ? original_ : text_; }

  void assign_field(const Scalar& value) {
    const Field f = field_;
    if (f == Field::Unknown) return;
    if (f == Field::Data) {  // any scalar, null included, is a present payload
      begin_data();
      take_data_slice(&value);
      return;
    }
    if (value.kind == Scalar::Null) return;  // null means absent
    seen_ |= bit(f);
    if (!store_field(f, value)) reject_field(f);
  }

  // Returns false when the value has the wrong JSON type or range for `f`.
  bool store_field(Field f, const Scalar& value) {
    Message& m = message();
    const FieldSpec& spec = kFields[static_cast<size_t>(f)];
    switch (spec.kind) {
      case FieldKind::String:
        if (value.kind != Scalar::String) return false;
        if (spec.max_bytes != 0 && value.text.size() > spec.max_bytes) return false;
        string_field(f, m).assign(value.text);
        return true;
      case FieldKind::Uint64:
        return value.kind == Scalar::Number && parse_integer(value.text, uint64_field(f, m));
      case FieldKind::Int64:
        return value.kind == Scalar::Number &&
               parse_integer(value.text, f == Field::Timestamp ? m.timestamp : m.expires_at);
      case FieldKind::Uint32:
        return value.kind == Scalar::Number &&
               parse_integer(value.text, f == Field::Window ? m.window : m.max_batch);
      case FieldKind::Bool:
        if (value.kind != Scalar::Bool) return false;
        bool_field(f, m) = value.boolean;
        return true;
      case FieldKind::StringArray:  // a scalar where an array belongs
      case FieldKind::AnyJson:
        return false;
    }
    return false;
  }

  std::string& string_field(Field f, Message& m) {
    switch (f) {
      case Field::Type: return type_name_;
      case Field::Channel: return m.channel;
      case Field::NewToken: return new_token_;
      case Field::Session: return m.session;
      case Field::UserId: return m.user_id;
      case Field::Reason: return m.reason;
      case Field::Code: return m.code;
      case Field::Action: return m.action;
      case Field::Epoch: return m.epoch;
      default: return m.token;
    }
  }

  static bool& bool_field(Field f, Message& m) {
    switch (f) {
      case Field::RequireAck: return m.require_ack;
      case Field::Binary: return m.binary;
      case Field::Resend: return m.resend;
      case Field::Offsets: return m.offsets;
      case Field::Recovered: return m.recovered;
      case Field::Direct: return m.direct;
      default: return m.resumed;
    }
  }

  static uint64_t& uint64_field(Field f, Message& m) {
    switch (f) {
      case Field::Id: return m.id;
      case Field::Base: return m.base;
      case Field::MessageId: return m.message_id;
      case Field::UpTo: return m.up_to;
      case Field::MaxFrame: return m.max_frame;
      case Field::Offset: return m.offset;
      case Field::DirectOffset: return m.direct_offset;
      default: return m.last_seq;
    }
  }

  // Fields a peer sent that this type does not carry go back to their defaults.
  static void clear_field(Field f, Message& m) {
    switch (f) {
      case Field::Channel: m.channel.clear(); break;
      case Field::Data: m.data.clear(); break;
      case Field::Timestamp: m.timestamp = 0; break;
      case Field::Id: m.id = 0; break;
      case Field::RequireAck: m.require_ack = false; break;
      case Field::Base: m.base = 0; break;
      case Field::MessageId: m.message_id = 0; break;
      case Field::UpTo: m.up_to = 0; break;
      case Field::Token: m.token.clear(); break;
      case Field::Session: m.session.clear(); break;
      case Field::LastSeq: m.last_seq = 0; break;
      case Field::Window: m.window = 0; break;
      case Field::Permissions: m.permissions.clear(); break;
      case Field::Resumed: m.resumed = false; break;
      case Field::ExpiresAt: m.expires_at = 0; break;
      case Field::UserId: m.user_id.clear(); break;
      case Field::Reason: m.reason.clear(); break;
      case Field::Code: m.code.clear(); break;
      case Field::Action: m.action.clear(); break;
      case Field::MaxFrame: m.max_frame = 0; break;
      case Field::MaxBatch: m.max_batch = 0; break;
      case Field::Binary: m.binary = false; break;
      case Field::Resend: m.resend = false; break;
      case Field::Offsets: m.offsets = false; break;
      case Field::Recovered: m.recovered = false; break;
      case Field::Offset: m.offset = 0; break;
      case Field::Epoch: m.epoch.clear(); break;
      case Field::Direct: m.direct = false; break;
      case Field::DirectOffset: m.direct_offset = 0; break;
      case Field::Type:
      case Field::NewToken:
      case Field::Unknown: break;
    }
  }

  void finish_message() {
    Message& m = message();
    MessageType type = MessageType::Channel;
    if (rejected_ & bit(Field::Type)) return drop_message(CodecError::WrongType, "type");
    if ((seen_ & bit(Field::Type)) && !lookup_type(type_name_, type)) {
      return drop_message(CodecError::UnknownType, type_name_);
    }
    const FieldSet carried = fields_of(type);
    if (const FieldSet wrong = rejected_ & carried) {
      return drop_message(CodecError::WrongType, key_of(lowest(wrong)));
    }
    m.type = type;
    for (FieldSet extra = seen_ & ~carried; extra != 0; extra &= extra - 1) {
      clear_field(lowest(extra), m);
    }
    if (type == MessageType::TokenRefresh) m.token = std::move(new_token_);
    m.has_permissions = (seen_ & carried & bit(Field::Permissions)) != 0;
    if (const Field missing = missing_field(m, seen_); missing != Field::Unknown) {
      return drop_message(CodecError::MissingField, key_of(missing));
    }
  }

  static Field lowest(FieldSet set) {
    unsigned index = 0;
    while ((set & 1) == 0 && index < 32) {
      set >>= 1;
      ++index;
    }
    return static_cast<Field>(index);
  }
  static std::string_view key_of(Field f) { return kFields[static_cast<size_t>(f)].key; }

  void drop_message(CodecError error, std::string_view detail) {
    out_.pop_back();
    issues_.push_back({error, std::string(echoable(detail))});
  }

  const CodecLimits& limits_;
  std::vector<Message>& out_;
  std::vector<DecodeIssue>& issues_;
  CodecError frame_error_ = CodecError::None;
  // One of them is set: the stream the reader reads.
  const rapidjson::StringStream* string_stream_ = nullptr;
  const rapidjson::MemoryStream* memory_stream_ = nullptr;
  std::string_view text_;        // what the stream reads (or a padded copy of it)
  std::string_view original_;  // set when parsing a masked copy

  unsigned depth_ = 0;           // open objects/arrays
  unsigned envelope_depth_ = 1;  // depth of message objects: 1 alone, 2 in a batch
  size_t batch_elements_ = 0;
  Mode mode_ = Mode::None;
  unsigned mode_end_depth_ = 0;  // depth_ returns here when the mode's value ends
  size_t after_key_ = 0;         // offset just past the latest message-level key

  // Per message.
  Field field_ = Field::Unknown;  // the key whose value comes next
  FieldSet seen_ = 0;             // fields present with a non-null value
  FieldSet rejected_ = 0;         // fields whose value had the wrong type
  std::string type_name_;
  std::string new_token_;  // TokenRefresh's "newToken", moved into Message::token
};

}  // namespace

CodecError decode_frame(std::string_view frame, const CodecLimits& limits,
                        std::vector<Message>& out, std::vector<DecodeIssue>& issues) noexcept {
  const size_t out_before = out.size();
  const size_t issues_before = issues.size();
  CodecError error = CodecError::None;
  std::string detail;
  try {
    if (frame.size() > limits.max_frame_bytes) {
      error = CodecError::TooLarge;
      detail = too_large_detail(frame.size(), limits.max_frame_bytes);
    } else {
      FrameHandler handler(limits, out, issues);
      bool number_too_big = false;
      error = parse_json(frame, handler, &detail, &number_too_big, !limits.text_is_utf8);
      std::string masked;
      if (number_too_big && mask_wide_numbers(frame, masked)) {
        truncate_decoded(out, out_before, issues, issues_before);
        FrameHandler retry(limits, out, issues);
        retry.read_numbers_from(frame);
        error = parse_json(masked, retry, &detail, nullptr, !limits.text_is_utf8);
      }
    }
  } catch (...) {  // out of memory: the frame was too large for us after all
    error = CodecError::TooLarge;
    detail = "out of memory";
  }
  return finish_decode(error, std::move(detail), out, out_before, issues, issues_before);
}

}  // namespace tether::core
