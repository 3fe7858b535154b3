#include "server/cluster_keys.h"

#include <charconv>

namespace tether::server::cluster {

namespace {

// A direct message's data is "{channel bytes}:{channel}{data}": the
// application's channel travels with it, since the stream is the session's.
bool split_direct(std::string_view packed, std::string& channel, std::string_view& data) {
  size_t length = 0;
  const char* begin = packed.data();
  const auto parsed = std::from_chars(begin, begin + packed.size(), length);
  if (parsed.ec != std::errc() || parsed.ptr == begin + packed.size() || *parsed.ptr != ':') return false;
  const size_t header = static_cast<size_t>(parsed.ptr - begin) + 1;
  if (length == 0 || length > packed.size() - header) return false;
  channel.assign(packed.substr(header, length));
  data = packed.substr(header + length);
  return true;
}

// 'j'/'b': a channel's JSON or bytes; 'J'/'B': the same, sent to one session.
bool parse_kind(char kind, bool& binary, bool& direct) {
  if (kind != 'j' && kind != 'b' && kind != 'J' && kind != 'B') return false;
  binary = kind == 'b' || kind == 'B';
  direct = kind == 'J' || kind == 'B';
  return true;
}

}  // namespace

std::string pack_direct(std::string_view channel, std::string_view data) {
  std::string packed = std::to_string(channel.size());
  packed.reserve(packed.size() + 1 + channel.size() + data.size());
  packed += ':';
  packed.append(channel);
  packed.append(data);
  return packed;
}

std::string history_lost_reason(std::string_view channel) {
  const std::string what = is_direct_channel(channel) ? std::string("messages the server sent this session")
                                                      : "channel '" + std::string(channel) + "'";
  return what +
         ": Redis no longer had some of them (history trimmed, expired or lost with Redis's data); some "
         "published before this point were not delivered";
}

core::Notice history_lost_notice(std::string_view channel, std::string_view epoch, std::string_view reason) {
  return core::Notice{"history_lost", reason, is_direct_channel(channel) ? std::string_view() : channel, epoch};
}

core::Delivery delivery_of(std::string_view feed_channel, const core::FeedEntry& entry) {
  core::Delivery delivery;
  delivery.direct = is_direct_channel(feed_channel);
  delivery.channel = delivery.direct ? std::string_view(entry.channel) : feed_channel;
  delivery.data = entry.data;
  delivery.reliable = entry.reliable;
  delivery.payload = entry.payload;
  delivery.offset = entry.offset;
  return delivery;
}

bool parse_pubsub_message(std::string_view message, PubsubMessage& out) {
  // "{offset} {epoch} {kind}{reliable} {data}"
  const size_t first = message.find(' ');
  if (first == std::string_view::npos) return false;
  const size_t second = message.find(' ', first + 1);
  if (second == std::string_view::npos || second + 3 > message.size() || message[second + 3] != ' ') return false;
  uint64_t offset = 0;
  const char* digits = message.data();
  const auto parsed = std::from_chars(digits, digits + first, offset);
  if (parsed.ec != std::errc() || parsed.ptr != digits + first) return false;
  const char reliable = message[second + 2];
  if (!parse_kind(message[second + 1], out.binary, out.direct) || (reliable != '0' && reliable != '1')) return false;
  out.offset = offset;
  out.epoch = message.substr(first + 1, second - first - 1);
  out.reliable = reliable == '1';
  out.data = message.substr(second + 4);
  out.channel.clear();
  return !out.direct || split_direct(out.data, out.channel, out.data);
}

bool parse_stream_entry(const transport::RedisReply& entry, core::FeedEntry& out) {
  using Type = transport::RedisReply::Type;
  if (entry.type != Type::Array || entry.elements.size() != 2) return false;
  const transport::RedisReply& id = entry.elements[0];
  const transport::RedisReply& fields = entry.elements[1];
  if (id.type != Type::String || fields.type != Type::Array || fields.elements.size() != 4) return false;
  uint64_t offset = 0;
  const char* begin = id.text.data();
  const auto parsed = std::from_chars(begin, begin + id.text.size(), offset);
  if (parsed.ec != std::errc() || offset == 0 || std::string_view(parsed.ptr, begin + id.text.size() - parsed.ptr) != "-0") {
    return false;
  }
  const transport::RedisReply& kind = fields.elements[1];
  bool binary = false, direct = false;
  if (fields.elements[0].text != "k" || fields.elements[2].text != "d" || kind.text.size() != 1 ||
      !parse_kind(kind.text[0], binary, direct)) {
    return false;
  }
  out.offset = offset;
  out.reliable = true;  // only reliable messages are kept in the stream
  out.payload = binary ? core::PayloadKind::Binary : core::PayloadKind::Json;
  out.channel.clear();
  if (!direct) {
    out.data = fields.elements[3].text;
    return true;
  }
  std::string_view data;
  if (!split_direct(fields.elements[3].text, out.channel, data)) return false;
  out.data.assign(data);
  return true;
}

}  // namespace tether::server::cluster
