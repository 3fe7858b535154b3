#include "core/codec_binary.h"

#include <string>

#include "core/codec_parse.h"

namespace tether::core {
namespace {

// Unsigned LEB128, as in protobuf and WebAssembly: 7 bits per byte, low
// group first, the high bit set on every byte but the last.
constexpr size_t kMaxVarintBytes = 10;

void put_varint(uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Signed values map to unsigned so that small magnitudes stay short.
uint64_t zigzag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ (value < 0 ? ~uint64_t{0} : 0);
}
int64_t unzigzag(uint64_t value) {
  return static_cast<int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

// Reads the frame front to back; any read past its end, or a varint that is
// longer than 10 bytes or overflows 64 bits, marks it malformed.
class RecordReader {
 public:
  explicit RecordReader(std::string_view frame) : frame_(frame) {}

  bool at_end() const { return offset_ == frame_.size(); }
  size_t offset() const { return offset_; }
  const char* problem() const { return problem_; }

  bool byte(uint8_t& out) {
    if (offset_ >= frame_.size()) return fail("truncated record");
    out = static_cast<uint8_t>(frame_[offset_++]);
    return true;
  }
  bool varint(uint64_t& out) {
    out = 0;
    for (size_t i = 0; i < kMaxVarintBytes; ++i) {
      uint8_t b = 0;
      if (!byte(b)) return false;
      const uint64_t group = b & 0x7f;
      // The tenth byte holds only the top bit of a 64-bit value.
      if (i == kMaxVarintBytes - 1 && group > 1) return fail("varint overflows 64 bits");
      out |= group << (7 * i);
      if ((b & 0x80) == 0) return true;
    }
    return fail("varint longer than 10 bytes");
  }
  bool bytes(uint64_t length, std::string_view& out) {
    if (length > frame_.size() - offset_) return fail("truncated record");
    out = frame_.substr(offset_, static_cast<size_t>(length));
    offset_ += static_cast<size_t>(length);
    return true;
  }

 private:
  bool fail(const char* why) {
    problem_ = why;
    return false;
  }

  std::string_view frame_;
  size_t offset_ = 0;
  const char* problem_ = nullptr;
};

struct Record {
  uint8_t flags = 0;
  std::string_view channel;
  uint64_t id = 0;
  uint64_t base = 0;
  uint64_t offset = 0;
  int64_t timestamp = 0;
  std::string_view data;
};

bool read_record(RecordReader& reader, Record& record, std::string& detail) {
  const size_t start = reader.offset();
  uint64_t channel_bytes = 0;
  uint64_t data_bytes = 0;
  uint64_t timestamp = 0;
  bool ok = reader.byte(record.flags);
  if (ok && (record.flags & ~binary_flag::kKnown) != 0) {
    detail = "offset " + std::to_string(start) + ": unknown record flags";
    return false;
  }
  ok = ok && reader.varint(channel_bytes) && reader.bytes(channel_bytes, record.channel);
  if (ok && (record.flags & binary_flag::kReliable)) ok = reader.varint(record.id) && reader.varint(record.base);
  const size_t offset_at = reader.offset();
  if (ok && (record.flags & binary_flag::kOffset)) {
    ok = reader.varint(record.offset);
    if (ok && record.offset == 0) {  // only an offset >= 1 is flagged: one encoding per record
      detail = "offset " + std::to_string(offset_at) + ": offset flag set with offset 0";
      return false;
    }
  }
  if (ok && (record.flags & binary_flag::kTimestamp)) ok = reader.varint(timestamp);
  ok = ok && reader.varint(data_bytes) && reader.bytes(data_bytes, record.data);
  if (!ok) {
    detail = "offset " + std::to_string(start) + ": " + reader.problem();
    return false;
  }
  record.timestamp = unzigzag(timestamp);
  return true;
}

}  // namespace

size_t binary_record_bound(std::string_view channel, size_t data_bytes) noexcept {
  // Flags, then six varints at most: channel length, id, base, offset, timestamp, data length.
  return 1 + 6 * kMaxVarintBytes + channel.size() + data_bytes;
}

void encode_binary_channel_message(std::string_view channel, std::string_view data, int64_t timestamp,
                                   uint64_t seq, uint64_t base, std::string& out, uint64_t offset,
                                   bool direct) noexcept {
  const size_t before = out.size();
  try {
    out.reserve(before + binary_record_bound(channel, data.size()));
    uint8_t flags = 0;
    if (seq != 0) flags |= binary_flag::kReliable;
    if (timestamp != 0) flags |= binary_flag::kTimestamp;
    if (offset != 0) flags |= binary_flag::kOffset;
    if (direct) flags |= binary_flag::kDirect;
    out.push_back(static_cast<char>(flags));
    put_varint(channel.size(), out);
    out.append(channel);
    if (seq != 0) {
      put_varint(seq, out);
      put_varint(base, out);
    }
    if (offset != 0) put_varint(offset, out);
    if (timestamp != 0) put_varint(zigzag(timestamp), out);
    put_varint(data.size(), out);
    out.append(data);
  } catch (...) {
    out.resize(before);
  }
}

CodecError decode_binary_frame(std::string_view frame, const CodecLimits& limits, std::vector<Message>& out,
                               std::vector<DecodeIssue>& issues) noexcept {
  const size_t out_before = out.size();
  const size_t issues_before = issues.size();
  CodecError error = CodecError::None;
  std::string detail;
  try {
    if (frame.size() > limits.max_frame_bytes) {
      error = CodecError::TooLarge;
      detail = codec_detail::too_large_detail(frame.size(), limits.max_frame_bytes);
    } else if (frame.empty()) {
      error = CodecError::EmptyBatch;
      detail = "binary frame without records";
    }
    RecordReader reader(frame);
    size_t records = 0;
    while (error == CodecError::None && !reader.at_end()) {
      if (++records > limits.max_batch) {
        error = CodecError::BatchTooLong;
        detail = "more than " + std::to_string(limits.max_batch) + " records";
        break;
      }
      const size_t record_start = reader.offset();
      Record record;
      if (!read_record(reader, record, detail)) {
        error = CodecError::Malformed;
        break;
      }
      // As in a text frame, where a string that is not UTF-8 fails the
      // whole frame. The name's other rules (length, NUL) are the
      // session's, as for a JSON message: a refusal the sender is told of.
      if (!is_valid_utf8(record.channel)) {
        error = CodecError::InvalidUtf8;
        detail = "offset " + std::to_string(record_start) + ": channel is not UTF-8";
        break;
      }
      // Element-level: this record is dropped (not acked, so resent), the rest stand.
      const bool reliable = (record.flags & binary_flag::kReliable) != 0;
      if (reliable && record.id == 0) {
        issues.push_back({CodecError::WrongType, "id"});
        continue;
      }
      Message& m = out.emplace_back();
      m.type = MessageType::Channel;
      m.payload = PayloadKind::Binary;
      m.channel.assign(record.channel);
      m.data.assign(record.data);
      m.timestamp = record.timestamp;
      m.require_ack = reliable;
      m.id = record.id;
      m.base = record.base;
      m.offset = record.offset;
      m.direct = (record.flags & binary_flag::kDirect) != 0;
    }
  } catch (...) {  // out of memory: the frame was too large for us after all
    error = CodecError::TooLarge;
    detail = "out of memory";
  }
  return codec_detail::finish_decode(error, std::move(detail), out, out_before, issues, issues_before);
}

}  // namespace tether::core
