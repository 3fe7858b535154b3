#include "capi/enum_mapping.h"

namespace tether::capi {

using client::BalanceStrategy;
using client::LogLevel;
using core::ClientState;
using core::CloseInitiator;
using core::JitterMode;
using core::SendOutcome;
using core::SendStatus;

uint32_t to_c(BalanceStrategy strategy) {
  switch (strategy) {
    case BalanceStrategy::RoundRobin: return TETHER_BALANCE_ROUND_ROBIN;
    case BalanceStrategy::LeastMessages: return TETHER_BALANCE_LEAST_MESSAGES;
    case BalanceStrategy::Random: return TETHER_BALANCE_RANDOM;
    case BalanceStrategy::StickyChannel: return TETHER_BALANCE_STICKY_CHANNEL;
  }
  return TETHER_BALANCE_STICKY_CHANNEL;
}

uint32_t to_c(JitterMode jitter) {
  switch (jitter) {
    case JitterMode::None: return TETHER_JITTER_NONE;
    case JitterMode::Full: return TETHER_JITTER_FULL;
    case JitterMode::Decorrelated: return TETHER_JITTER_DECORRELATED;
  }
  return TETHER_JITTER_FULL;
}

int32_t to_c(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return TETHER_LOG_DEBUG;
    case LogLevel::Info: return TETHER_LOG_INFO;
    case LogLevel::Warn: return TETHER_LOG_WARN;
    case LogLevel::Error: return TETHER_LOG_ERROR;
    case LogLevel::Off: return TETHER_LOG_OFF;
  }
  return TETHER_LOG_WARN;
}

uint32_t to_c(ClientState state) {
  switch (state) {
    case ClientState::Idle: return TETHER_STATE_IDLE;
    case ClientState::Connecting: return TETHER_STATE_CONNECTING;
    case ClientState::Authenticating: return TETHER_STATE_AUTHENTICATING;
    case ClientState::Ready: return TETHER_STATE_READY;
    case ClientState::Backoff: return TETHER_STATE_RECONNECTING;
    case ClientState::Closed: return TETHER_STATE_CLOSED;
    case ClientState::GaveUp: return TETHER_STATE_GAVE_UP;
    case ClientState::Unauthorized: return TETHER_STATE_UNAUTHORIZED;
  }
  return TETHER_STATE_IDLE;
}

uint32_t to_c(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::Acked: return TETHER_OUTCOME_ACKED;
    case SendOutcome::TimedOut: return TETHER_OUTCOME_TIMED_OUT;
    case SendOutcome::Closed: return TETHER_OUTCOME_CLOSED;
    case SendOutcome::Cancelled: return TETHER_OUTCOME_CANCELLED;
    case SendOutcome::PermissionDenied: return TETHER_OUTCOME_PERMISSION_DENIED;
    case SendOutcome::Overflow: return TETHER_OUTCOME_OVERFLOW;
    case SendOutcome::TooLarge: return TETHER_OUTCOME_TOO_LARGE;
    case SendOutcome::Unsupported: return TETHER_OUTCOME_UNSUPPORTED;
  }
  return TETHER_OUTCOME_CLOSED;
}

uint32_t to_c(CloseInitiator initiator) {
  switch (initiator) {
    case CloseInitiator::Local: return TETHER_CLOSED_BY_LOCAL;
    case CloseInitiator::Remote: return TETHER_CLOSED_BY_REMOTE;
    case CloseInitiator::Transport: return TETHER_CLOSED_BY_TRANSPORT;
  }
  return TETHER_CLOSED_BY_TRANSPORT;
}

int32_t to_c(SendStatus status) {
  switch (status) {
    case SendStatus::Ok: return TETHER_OK;
    case SendStatus::QueueFull: return TETHER_ERROR_QUEUE_FULL;
    case SendStatus::PermissionDenied: return TETHER_ERROR_PERMISSION_DENIED;
    case SendStatus::InvalidPayload: return TETHER_ERROR_INVALID_PAYLOAD;
    case SendStatus::TooLarge: return TETHER_ERROR_PAYLOAD_TOO_LARGE;
    case SendStatus::InvalidChannel: return TETHER_ERROR_INVALID_CHANNEL;
    case SendStatus::WrongState: return TETHER_ERROR_WRONG_STATE;
    case SendStatus::Unsupported: return TETHER_ERROR_UNSUPPORTED;
  }
  return TETHER_ERROR_INTERNAL;
}

bool from_c(uint32_t value, BalanceStrategy& out) {
  switch (value) {
    case TETHER_BALANCE_ROUND_ROBIN: out = BalanceStrategy::RoundRobin; return true;
    case TETHER_BALANCE_LEAST_MESSAGES: out = BalanceStrategy::LeastMessages; return true;
    case TETHER_BALANCE_RANDOM: out = BalanceStrategy::Random; return true;
    case TETHER_BALANCE_STICKY_CHANNEL: out = BalanceStrategy::StickyChannel; return true;
    default: return false;
  }
}

bool from_c(uint32_t value, JitterMode& out) {
  switch (value) {
    case TETHER_JITTER_NONE: out = JitterMode::None; return true;
    case TETHER_JITTER_FULL: out = JitterMode::Full; return true;
    case TETHER_JITTER_DECORRELATED: out = JitterMode::Decorrelated; return true;
    default: return false;
  }
}

bool from_c(int32_t value, LogLevel& out) {
  switch (value) {
    case TETHER_LOG_DEBUG: out = LogLevel::Debug; return true;
    case TETHER_LOG_INFO: out = LogLevel::Info; return true;
    case TETHER_LOG_WARN: out = LogLevel::Warn; return true;
    case TETHER_LOG_ERROR: out = LogLevel::Error; return true;
    case TETHER_LOG_OFF: out = LogLevel::Off; return true;
    default: return false;
  }
}

}  // namespace tether::capi
