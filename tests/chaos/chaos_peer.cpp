#include "chaos_peer.h"

#include <catch2/catch.hpp>
#include <charconv>
#include <string_view>

namespace tether::chaos {

namespace {

constexpr std::string_view kChannelPrefix = "chaos:p";

// "chaos:p<sender>:<channel>" -> sender and channel; false for anything else.
bool parse_channel(std::string_view name, size_t& sender, size_t& channel) {
  if (name.substr(0, kChannelPrefix.size()) != kChannelPrefix) return false;
  const char* at = name.data() + kChannelPrefix.size();
  const char* end = name.data() + name.size();
  const auto first = std::from_chars(at, end, sender);
  if (first.ec != std::errc() || first.ptr == end || *first.ptr != ':') return false;
  const auto second = std::from_chars(first.ptr + 1, end, channel);
  return second.ec == std::errc() && second.ptr == end;
}

// "[seq,...": the sequence; 0 if the payload is not one of ours.
uint32_t parse_seq(std::string_view data) {
  if (data.size() < 2 || data[0] != '[') return 0;
  uint32_t seq = 0;
  const auto parsed = std::from_chars(data.data() + 1, data.data() + data.size(), seq);
  return parsed.ec == std::errc() ? seq : 0;
}

}  // namespace

std::string channel_name(size_t sender, size_t channel) {
  return std::string(kChannelPrefix) + std::to_string(sender) + ":" + std::to_string(channel);
}

ChaosPeer::ChaosPeer(const PeerOptions& options)
    : options_(options),
      connections_(options.pool_size),
      subscribed_steps_(options.peers * options.channels) {
  tether_config config;
  tether_config_init(&config);
  std::vector<const char*> urls;
  for (const std::string& url : options_.urls) urls.push_back(url.c_str());
  if (urls.empty()) {
    config.url = options_.url.c_str();
  } else {
    config.urls = urls.data();
    config.url_count = static_cast<uint32_t>(urls.size());
  }
  config.token = options_.token.c_str();
  config.pool_size = options_.pool_size;
  config.balance_strategy = TETHER_BALANCE_STICKY_CHANNEL;
  // Reconnect fast and never give up: the proxy will keep cutting.
  config.backoff_initial_ms = 50;
  config.backoff_max_ms = 250;
  config.backoff_max_attempts = 0;
  config.heartbeat_interval_ms = options_.heartbeat_interval_ms;
  config.heartbeat_timeout_ms = options_.heartbeat_timeout_ms;
  // A link black-holed mid-handshake is given up on quickly.
  config.connect_timeout_ms = 3000;
  config.auth_timeout_ms = 3000;
  // Throttled links answer late; a resend is harmless, a give-up would not be.
  config.ack_max_retries = 50;
  config.seed = options_.seed;
  config.log_level = TETHER_LOG_OFF;
  const int32_t result = tether_client_create(&config, &handle_);
  INFO(tether_client_last_error(nullptr));
  REQUIRE(result == TETHER_OK);
}

ChaosPeer::~ChaosPeer() { tether_client_destroy(handle_); }

void ChaosPeer::connect() {
  for (size_t sender = 0; sender < options_.peers; ++sender) {
    if (sender == options_.index) continue;
    for (size_t channel = 0; channel < options_.channels; ++channel) {
      REQUIRE(tether_client_subscribe(handle_, channel_name(sender, channel).c_str()) == TETHER_OK);
    }
  }
  REQUIRE(tether_client_connect(handle_) == TETHER_OK);
}

size_t ChaosPeer::pump(DeliveryLedger& ledger, uint64_t& step) {
  const int32_t count = tether_client_pump(handle_);
  for (int32_t i = 0; i < count; ++i) {
    const tether_event* event = tether_client_event(handle_, static_cast<uint32_t>(i));
    if (event == nullptr) continue;
    ++step;
    switch (event->type) {
      case TETHER_EVENT_MESSAGE: on_message(*event, ledger, step); break;
      case TETHER_EVENT_ACK: ledger.on_resolved(options_.index, event->message_id, true, event->connection, step); break;
      case TETHER_EVENT_SEND_FAILED:
        ledger.on_resolved(options_.index, event->message_id, false, event->connection, step);
        ++complaints_[std::string("send_failed:") + std::to_string(event->outcome)];
        break;
      case TETHER_EVENT_STATE_CHANGED: on_state(*event, step); break;
      case TETHER_EVENT_SUBSCRIBED: on_subscribed(*event, step); break;
      case TETHER_EVENT_TRANSPORT_ERROR: ++transport_errors_; break;
      case TETHER_EVENT_ERROR:
      case TETHER_EVENT_AUTH_FAILED:
      case TETHER_EVENT_PERMISSION_DENIED:
        ++complaints_[std::string(tether_event_type_string(event->type)) + ":" + event->code];
        break;
      case TETHER_EVENT_UNSUBSCRIBED: ++complaints_[std::string("unsubscribed:") + event->code]; break;
      default: break;
    }
  }
  return count > 0 ? static_cast<size_t>(count) : 0;
}

void ChaosPeer::on_message(const tether_event& event, DeliveryLedger& ledger, uint64_t step) {
  size_t sender = 0;
  size_t channel = 0;
  const uint32_t seq = parse_seq(std::string_view(event.data, event.data_len));
  if ((event.flags & TETHER_EVENT_FLAG_RELIABLE) == 0 ||
      !parse_channel(std::string_view(event.channel, event.channel_len), sender, channel) || seq == 0) {
    ++complaints_["unexpected_message"];
    return;
  }
  ledger.on_delivered(sender, channel, seq, step);
}

void ChaosPeer::on_state(const tether_event& event, uint64_t step) {
  if (event.connection >= connections_.size()) return;
  ConnectionHistory& history = connections_[event.connection];
  history.ready = event.state == TETHER_STATE_READY;
  if (!history.ready) return;
  const bool resumed = (event.flags & TETHER_EVENT_FLAG_RESUMED) != 0;
  if (!resumed && history.ready_count > 0) history.session_lost_steps.push_back(step);
  ++history.ready_count;
  history.resumed_count += resumed ? 1 : 0;
}

void ChaosPeer::on_subscribed(const tether_event& event, uint64_t step) {
  size_t sender = 0;
  size_t channel = 0;
  if (parse_channel(std::string_view(event.channel, event.channel_len), sender, channel) &&
      sender < options_.peers && channel < options_.channels) {
    subscribed_steps_[sender * options_.channels + channel].push_back(step);
  }
}

int32_t ChaosPeer::send(size_t channel, uint32_t seq, size_t pad_bytes, DeliveryLedger& ledger, uint64_t& step) {
  payload_ = "[" + std::to_string(seq) + ",\"";
  payload_.append(pad_bytes, 'x');
  payload_ += "\"]";
  uint64_t message_id = 0;
  const std::string name = channel_name(options_.index, channel);
  const int32_t result = tether_client_send(handle_, name.c_str(), payload_.data(), payload_.size(),
                                            TETHER_SEND_RELIABLE, &message_id);
  if (result == TETHER_OK) {
    ledger.on_sent(options_.index, channel, seq, message_id, ++step);
  } else {
    last_send_error_ = tether_client_last_error(handle_);
  }
  return result;
}

bool ChaosPeer::all_ready() const {
  for (const ConnectionHistory& c : connections_) {
    if (!c.ready) return false;
  }
  return true;
}

uint64_t ChaosPeer::session_losses() const {
  uint64_t losses = 0;
  for (const ConnectionHistory& c : connections_) losses += c.session_lost_steps.size();
  return losses;
}

}  // namespace tether::chaos
