#include "core/codec_schema.h"

namespace tether::core::codec_detail {

Field lookup_field(std::string_view key) {
  for (size_t i = 0; i < std::size(kFields); ++i) {
    if (kFields[i].key == key) return static_cast<Field>(i);
  }
  return Field::Unknown;
}

bool lookup_type(std::string_view name, MessageType& type) {
  for (size_t i = 0; i <= static_cast<size_t>(MessageType::Error); ++i) {
    if (message_type_name(static_cast<MessageType>(i)) == name) {
      type = static_cast<MessageType>(i);
      return true;
    }
  }
  return false;
}

FieldSet fields_of(MessageType type) {
  const FieldSet reasons = bit(Field::Reason) | bit(Field::Code);
  switch (type) {
    case MessageType::Channel:
      return bit(Field::Channel) | bit(Field::Data) | bit(Field::Timestamp) | bit(Field::Id) |
             bit(Field::RequireAck) | bit(Field::Base) | bit(Field::Offset) | bit(Field::Direct);
    case MessageType::Auth:
      return bit(Field::Token) | bit(Field::Session) | bit(Field::LastSeq) | bit(Field::Window) |
             bit(Field::MaxFrame) | bit(Field::Binary) | bit(Field::Offsets) | bit(Field::DirectOffset);
    case MessageType::AuthSuccess:
      return bit(Field::Permissions) | bit(Field::Session) | bit(Field::Resumed) |
             bit(Field::LastSeq) | bit(Field::ExpiresAt) | bit(Field::UserId) | bit(Field::Window) |
             bit(Field::MaxFrame) | bit(Field::MaxBatch) | bit(Field::Binary) | bit(Field::Recovered);
    case MessageType::Ping:
    case MessageType::Pong:
      return bit(Field::Timestamp);
    case MessageType::Ack:
      return bit(Field::MessageId) | bit(Field::UpTo) | bit(Field::Resend);
    case MessageType::RefreshToken:
      return bit(Field::Token);
    case MessageType::TokenRefresh:
      return bit(Field::NewToken) | bit(Field::ExpiresAt) | bit(Field::Permissions);
    case MessageType::PermissionDenied:
      return bit(Field::Channel) | bit(Field::Action) | bit(Field::MessageId) | reasons;
    case MessageType::Subscribe:   // epoch + offset: where the client stands (section 11.1)
    case MessageType::Subscribed:  // epoch + offset: where the subscription starts
      return bit(Field::Channel) | bit(Field::Epoch) | bit(Field::Offset);
    case MessageType::Unsubscribe:
      return bit(Field::Channel);
    case MessageType::Unsubscribed:  // code, reason: the server dropped it (permission_revoked)
      return bit(Field::Channel) | reasons;
    case MessageType::AuthFailed:
    case MessageType::RefreshFailed:
      return reasons;
    case MessageType::Error:  // channel, epoch: with code history_lost
      return bit(Field::Channel) | bit(Field::Epoch) | reasons;
  }
  return 0;
}

Field missing_field(const Message& m, FieldSet seen) {
  switch (m.type) {
    case MessageType::Channel:
      if (m.channel.empty()) return Field::Channel;
      if (m.data.empty()) return Field::Data;
      if (m.require_ack && m.id == 0) return Field::Id;
      return Field::Unknown;
    case MessageType::Auth:
    case MessageType::RefreshToken:
      return m.token.empty() ? Field::Token : Field::Unknown;
    case MessageType::TokenRefresh:
      return m.token.empty() ? Field::NewToken : Field::Unknown;
    case MessageType::AuthSuccess:
      return m.session.empty() ? Field::Session : Field::Unknown;
    case MessageType::Ping:
    case MessageType::Pong:
      return (seen & bit(Field::Timestamp)) == 0 ? Field::Timestamp : Field::Unknown;
    case MessageType::Ack:
      return m.message_id == 0 && m.up_to == 0 ? Field::MessageId : Field::Unknown;
    case MessageType::Subscribe:
    case MessageType::Unsubscribe:
    case MessageType::Subscribed:
    case MessageType::Unsubscribed:
      return m.channel.empty() ? Field::Channel : Field::Unknown;
    case MessageType::AuthFailed:
    case MessageType::RefreshFailed:
    case MessageType::PermissionDenied:
    case MessageType::Error:
      return Field::Unknown;
  }
  return Field::Unknown;
}

}  // namespace tether::core::codec_detail
