#pragma once
// What the transport's report on an ended connection means to the session
// and to the host.
#include "core/client_session.h"
#include "transport/close_info.h"

namespace tether::client {

// Stable snake_case names for transport failures, as the host sees them.
const char* transport_error_code(transport::TransportError error);

// Who ended the connection, as the transport saw it. The session must not
// guess it from the close code: a TLS failure's 1015 is no close frame from
// the server.
core::CloseInitiator core_initiator(transport::CloseInitiator initiator);

}  // namespace tether::client
