#pragma once
// Public C enum values <-> internal enums. The C values are ABI and never
// change; the internal ones may be reordered freely, hence explicit tables.
#include <cstdint>

#include "client/engine_types.h"
#include "tether/tether.h"

namespace tether::capi {

uint32_t to_c(client::BalanceStrategy strategy);
uint32_t to_c(core::JitterMode jitter);
int32_t to_c(client::LogLevel level);
uint32_t to_c(core::ClientState state);
uint32_t to_c(core::SendOutcome outcome);
uint32_t to_c(core::CloseInitiator initiator);
int32_t to_c(core::SendStatus status);

// False for values outside the C enum.
bool from_c(uint32_t value, client::BalanceStrategy& out);
bool from_c(uint32_t value, core::JitterMode& out);
bool from_c(int32_t value, client::LogLevel& out);

}  // namespace tether::capi
