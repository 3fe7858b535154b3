// What the endpoint does when a client costs more than its bounds: a
// session whose buffer overflows, or a client that stops reading while it
// keeps sending, is a slow consumer (4008) and is forgotten, and every bad
// message's report to the log is capped per connection. The bounds
// themselves are documented in server_endpoint.h and PROTOCOL.md 3.7.
#include <utility>

#include "core/server_endpoint.h"
#include "core/server_endpoint_connection.h"

namespace tether::core {

namespace {
// An error reply's bytes besides its code and reason.
constexpr size_t kErrorReplyOverhead = 40;
}  // namespace

// Pongs, acks and refresh answers are about the size of what asked for
// them, so counting input bytes bounds the replies that wait in a blocked
// connection's session. Errors are counted on their own (count_error_reply),
// since `{}` is 2 bytes and its error 60.
bool ServerEndpoint::admit_input(Connection& connection, size_t bytes) {
  if (connection.writable) return true;
  connection.unanswered_bytes += bytes;
  return !over_unanswered_bound(connection);
}

void ServerEndpoint::count_error_reply(Connection& connection, const ServerEvent& error) {
  if (connection.writable) return;
  // Checked once the frame is handled (handle_frame): the error that
  // crosses the bound drops the client then, not its next frame.
  connection.unanswered_bytes += error.code.size() + error.reason.size() + kErrorReplyOverhead;
}

bool ServerEndpoint::over_unanswered_bound(Connection& connection) {
  if (connection.writable || connection.unanswered_bytes <= config_.max_unanswered_bytes) return false;
  drop_for_not_reading(connection);
  return true;
}

void ServerEndpoint::drop_for_not_reading(Connection& connection) {
  if (connection.dropped_for_not_reading) return;
  connection.dropped_for_not_reading = true;
  if (connection.session.authenticated()) {
    drop_slow_consumer(connection.session.state(), "not_reading");
  } else {
    EndpointEvent event;
    event.kind = EndpointEvent::Kind::SlowConsumer;
    event.connection = connection.id;
    event.code = "not_reading";
    push_event(std::move(event));
    connection.session.close(close_code::kSlowConsumer, "slow consumer");
    mark_dirty(connection);
  }
}

// A client sending garbage in a loop must not turn into a log line per
// message: a few per connection per window are reported, the rest counted.
void ServerEndpoint::report_error(Connection& connection, ServerEvent& error, TimeMs now) {
  if (now - connection.error_window_start >= config_.error_report_window_ms) {
    connection.error_window_start = now;
    connection.error_reports = 0;
  }
  if (connection.error_reports >= config_.max_error_reports) {
    ++connection.suppressed_errors;
    return;
  }
  ++connection.error_reports;
  EndpointEvent event;
  event.kind = EndpointEvent::Kind::ClientError;
  event.connection = connection.id;
  event.session = connection.session.state();
  event.code = std::move(error.code);
  event.reason = std::move(error.reason);
  event.suppressed = std::exchange(connection.suppressed_errors, 0);
  push_event(std::move(event));
}

void ServerEndpoint::report_suppressed_errors(Connection& connection) {
  if (connection.suppressed_errors == 0) return;
  EndpointEvent event;
  event.kind = EndpointEvent::Kind::ClientError;
  event.connection = connection.id;
  event.session = connection.session.state();
  event.code = "errors_suppressed";
  event.suppressed = std::exchange(connection.suppressed_errors, 0);
  push_event(std::move(event));
}

void ServerEndpoint::drop_slow_consumer(const SessionPtr& session, const char* cause) {
  if (table_.find(session->id) != session) return;  // already forgotten
  ++counters_.slow_consumers;
  EndpointEvent event;
  event.kind = EndpointEvent::Kind::SlowConsumer;
  event.connection = session->owner_connection;
  event.session = session;
  event.code = cause;
  event.queued = session->sender.queued_messages();
  event.buffered_bytes = session->sender.buffered_bytes();
  push_event(std::move(event));
  if (Connection* connection = find(session->owner_connection)) {
    // Forgets the session too, unless the connection was already closing.
    connection->session.close(close_code::kSlowConsumer, "slow consumer", /*forget=*/true);
    mark_dirty(*connection);
  }
  table_.remove(session->id);
  end_session(session, SessionEnd::SlowConsumer);
}

void ServerEndpoint::end_session(SessionPtr session, SessionEnd why) {
  session->sender.fail_all(why == SessionEnd::SlowConsumer ? SendOutcome::Overflow : SendOutcome::Closed);
  session->drain_resolutions();
  ended_.emplace_back(std::move(session), why);
}

// The broker may be iterating its subscribers when a session ends (a
// delivery overflowed it), so it hears about the end from here, called
// only from the poll functions.
void ServerEndpoint::finish_ended_sessions() {
  for (auto& [session, why] : ended_) {
    broker_->remove_session(session->id);
    EndpointEvent event;
    event.kind = EndpointEvent::Kind::SessionEnded;
    event.connection = session->owner_connection;
    event.session = std::move(session);
    event.end = why;
    push_event(std::move(event));
  }
  ended_.clear();
}

}  // namespace tether::core
