// Writing to a client that does not read. The transport holds what was
// written to a connection and not yet taken by its socket; past
// --max-send-buffer-bytes the server writes nothing more to it until that
// drains. Deliveries then wait in the session's queue, whose byte bound
// (--max-session-buffer-bytes) ends a client that never catches up as a slow
// consumer (4008). Replies to what the client keeps sending wait in its
// session too, so that input is bounded as well: past the same number of
// bytes received (and error replies caused) while nothing could be written,
// it is a slow consumer. Pongs, acks and refresh answers are about the size
// of what asked for them; errors are counted on their own, since `{}` is 2
// bytes and its error 60.
#include "server/log_line.h"
#include "server/server.h"
#include "server/server_connection.h"

namespace tether::server {

namespace {
// An error reply's bytes besides its code and reason.
constexpr size_t kErrorReplyOverhead = 40;
}  // namespace

void Server::on_writable(ConnectionId id) {
  if (Connection* connection = find(id)) mark_dirty(*connection);
}

bool Server::admit_input(Connection& connection, size_t bytes) {
  connection.write_blocked = !ws_.writable(connection.id);
  if (!connection.write_blocked) {
    connection.unanswered_bytes = 0;
    return true;
  }
  const bool closing = connection.unanswered_bytes > options_.max_send_buffer_bytes;
  connection.unanswered_bytes += bytes;
  if (connection.unanswered_bytes <= options_.max_send_buffer_bytes) return true;
  if (closing) return false;  // told once already
  if (connection.session.authenticated()) {
    drop_slow_consumer(connection.session.state(), "not_reading");
  } else {
    log(LogLine("slow consumer")
            .add("conn", connection.id)
            .add("send_buffered_bytes", ws_.buffered_bytes(connection.id))
            .add("cause", "not_reading"));
    connection.session.close(core::close_code::kSlowConsumer, "slow consumer");
    mark_dirty(connection);
  }
  return false;
}

void Server::count_error_reply(Connection& connection, const core::ServerEvent& error) {
  if (!connection.write_blocked) return;
  connection.unanswered_bytes += error.code.size() + error.reason.size() + kErrorReplyOverhead;
}

void Server::write_frames(Connection& connection, core::TimeMs now) {
  // Taking nothing from the session leaves every delivery in its queue,
  // where it counts against the session's byte bound.
  connection.write_blocked = !ws_.writable(connection.id);
  if (connection.write_blocked) return;
  connection.unanswered_bytes = 0;
  while (connection.session.poll_transmit(frame_, now)) ws_.send_text(connection.id, frame_);
}

}  // namespace tether::server
