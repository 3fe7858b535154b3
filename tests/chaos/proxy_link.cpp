#include "proxy_link.h"

#include <algorithm>
#include <utility>

namespace tether::chaos {

namespace {

// What one direction may hold unsent (a throttled or delayed link): past it
// the proxy stops reading, so the sender feels TCP backpressure, as on a
// real slow path, instead of the proxy buffering without bound.
constexpr size_t kMaxPendingBytes = size_t{1} << 20;
// A throttled pipe writes this many slices per second, so its pace is smooth.
constexpr uint64_t kThrottleSlicesPerSecond = 50;
// After close_with_fin, peers get this long to close their side; then RST.
constexpr std::chrono::seconds kFinDrainTimeout{5};

}  // namespace

ProxyLink::ProxyLink(LinkId id, asio::ip::tcp::socket client, LinkCounters& counters, OnFinished on_finished)
    : id_(id),
      client_(std::move(client)),
      server_(client_.get_executor()),
      counters_(counters),
      on_finished_(std::move(on_finished)),
      fin_deadline_(client_.get_executor()) {
  ++counters_.live_objects;
}

ProxyLink::~ProxyLink() { --counters_.live_objects; }

void ProxyLink::start(const asio::ip::tcp::endpoint& upstream) {
  server_.async_connect(upstream, [self = shared_from_this()](const asio::error_code& error) {
    if (self->finished_) return;
    if (error) {
      // The server is down (a restart): the client sees a reset, much like
      // a refused connection, and backs off.
      ++self->counters_.upstream_refused;
      self->abort_sockets();
      return;
    }
    self->connected_ = true;
    // Forward small writes at once: a proxy must not add Nagle delays, and
    // split_segments needs every byte in its own segment.
    asio::error_code ignored;
    self->client_.set_option(asio::ip::tcp::no_delay(true), ignored);
    self->server_.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (self->fin_sent_) {  // closed while connecting
      self->abort_sockets();
      return;
    }
    self->read(self->to_server_);
    self->read(self->to_client_);
  });
}

// ---- forwarding -------------------------------------------------------------

void ProxyLink::read(Pipe& pipe) {
  if (finished_ || !connected_ || pipe.reading || pipe.read_done || pipe.pending_bytes >= kMaxPendingBytes) return;
  pipe.reading = true;
  pipe.from.async_read_some(asio::buffer(pipe.read_buffer),
                            [self = shared_from_this(), &pipe](const asio::error_code& error, size_t bytes) {
                              self->on_read(pipe, error, bytes);
                            });
}

void ProxyLink::on_read(Pipe& pipe, const asio::error_code& error, size_t bytes) {
  pipe.reading = false;
  if (finished_) return;
  // A dead link carries nothing, not even the end of the connection; after
  // our own FIN we only drain until the peer closes.
  const bool silent = pipe.blackholed || fin_sent_;
  if (error) {
    pipe.read_done = true;
    if (silent) {
      finish_if_done();
    } else if (error == asio::error::eof) {
      pipe.pending.push_back({Clock::now() + pipe.latency, {}, 0, true});
      write(pipe);
    } else {
      abort_sockets();  // a reset, or any other failure, passes on as a reset
    }
    return;
  }
  if (silent) {
    if (pipe.blackholed) counters_.bytes_blackholed += bytes;
  } else {
    pipe.pending.push_back({Clock::now() + pipe.latency, std::string(pipe.read_buffer.data(), bytes), 0, false});
    pipe.pending_bytes += bytes;
    write(pipe);
  }
  read(pipe);
}

void ProxyLink::write(Pipe& pipe) {
  if (finished_ || pipe.writing || pipe.timer_armed || pipe.write_done || pipe.pending.empty()) return;
  Chunk& chunk = pipe.pending.front();
  const Clock::time_point ready_at = std::max(chunk.due, pipe.next_write_at);
  if (ready_at > Clock::now()) {
    wait_until(pipe, ready_at);
    return;
  }
  if (chunk.eof) {
    asio::error_code ignored;
    pipe.to.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    pipe.write_done = true;
    pipe.pending.pop_front();
    finish_if_done();
    return;
  }
  size_t piece = chunk.bytes.size() - chunk.offset;
  if (pipe.split_bytes_left > 0) {
    piece = 1;
    --pipe.split_bytes_left;
  } else if (pipe.bytes_per_second > 0) {
    piece = std::min<size_t>(piece, std::max<uint64_t>(1, pipe.bytes_per_second / kThrottleSlicesPerSecond));
  }
  pipe.writing = true;
  asio::async_write(pipe.to, asio::buffer(chunk.bytes.data() + chunk.offset, piece),
                    [self = shared_from_this(), &pipe](const asio::error_code& error, size_t bytes) {
                      self->on_written(pipe, error, bytes);
                    });
}

void ProxyLink::on_written(Pipe& pipe, const asio::error_code& error, size_t bytes) {
  pipe.writing = false;
  if (finished_ || fin_sent_) return;  // after our FIN, pending bytes are discarded
  if (error) {
    abort_sockets();
    return;
  }
  counters_.bytes_forwarded += bytes;
  if (pipe.bytes_per_second > 0) {
    pipe.next_write_at = Clock::now() + std::chrono::nanoseconds(bytes * 1'000'000'000ull / pipe.bytes_per_second);
  }
  if (pipe.blackholed) {  // kept only for the write that was in progress
    drop_pending(pipe);
    return;
  }
  Chunk& chunk = pipe.pending.front();
  chunk.offset += bytes;
  pipe.pending_bytes -= bytes;
  if (chunk.offset == chunk.bytes.size()) pipe.pending.pop_front();
  write(pipe);
  read(pipe);  // resumes a read stopped at kMaxPendingBytes
}

void ProxyLink::wait_until(Pipe& pipe, Clock::time_point at) {
  pipe.timer_armed = true;
  pipe.timer.expires_at(at);
  pipe.timer.async_wait([self = shared_from_this(), &pipe](const asio::error_code&) {
    pipe.timer_armed = false;
    // Also after cancel(): heal() cancels so that the pace is re-evaluated.
    if (!self->finished_) self->write(pipe);
  });
}

void ProxyLink::drop_pending(Pipe& pipe) {
  if (pipe.writing && !pipe.pending.empty()) {
    // The front chunk backs the write in progress; on_written drops it.
    pipe.pending.erase(pipe.pending.begin() + 1, pipe.pending.end());
    pipe.pending_bytes = pipe.pending.front().bytes.size() - pipe.pending.front().offset;
    return;
  }
  pipe.pending.clear();
  pipe.pending_bytes = 0;
}

// ---- endings ----------------------------------------------------------------

void ProxyLink::finish_if_done() {
  auto done = [this](const Pipe& pipe) {
    return pipe.read_done && (pipe.write_done || ((pipe.blackholed || fin_sent_) && !pipe.writing));
  };
  if (!finished_ && done(to_server_) && done(to_client_)) close_sockets();
}

void ProxyLink::abort_sockets() {
  if (finished_) return;
  for (asio::ip::tcp::socket* socket : {&client_, &server_}) {
    asio::error_code ignored;
    if (!socket->is_open()) continue;
    // Linger 0: close() sends RST and discards whatever is unsent.
    socket->set_option(asio::socket_base::linger(true, 0), ignored);
    socket->close(ignored);
  }
  close_sockets();
}

void ProxyLink::close_sockets() {
  if (finished_) return;
  finished_ = true;
  asio::error_code ignored;
  client_.close(ignored);
  server_.close(ignored);
  to_server_.timer.cancel();
  to_client_.timer.cancel();
  fin_deadline_.cancel();
  // Posted: the owner drops its reference there, never under our feet.
  asio::post(client_.get_executor(), [on_finished = on_finished_, id = id_] { on_finished(id); });
}

// ---- faults -----------------------------------------------------------------

bool ProxyLink::reset() {
  if (finished_) return false;
  abort_sockets();
  return true;
}

bool ProxyLink::close_with_fin() {
  if (finished_ || fin_sent_) return false;
  fin_sent_ = true;
  if (!connected_) {  // nothing was forwarded yet: the client just sees the end
    asio::error_code ignored;
    client_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
  for (Pipe* pipe : {&to_server_, &to_client_}) {
    drop_pending(*pipe);
    asio::error_code ignored;
    pipe->to.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    pipe->write_done = true;
  }
  // Keep reading until both peers close: closing with unread bytes would
  // turn our FIN into a reset. A peer that never closes is reset later.
  fin_deadline_.expires_after(kFinDrainTimeout);
  fin_deadline_.async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (!error) self->abort_sockets();
  });
  finish_if_done();
  return true;
}

bool ProxyLink::blackhole(Direction direction) {
  if (!healthy()) return false;
  if (direction != Direction::ToClient) to_server_.blackholed = true;
  if (direction != Direction::ToServer) to_client_.blackholed = true;
  for (Pipe* pipe : {&to_server_, &to_client_}) {
    if (pipe->blackholed) drop_pending(*pipe);
  }
  return true;
}

bool ProxyLink::set_latency(std::chrono::milliseconds latency) {
  if (!healthy()) return false;
  to_server_.latency = latency;
  to_client_.latency = latency;
  return true;
}

bool ProxyLink::set_throttle(uint64_t bytes_per_second) {
  if (!healthy()) return false;
  for (Pipe* pipe : {&to_server_, &to_client_}) {
    pipe->bytes_per_second = bytes_per_second;
    pipe->next_write_at = Clock::now();
  }
  return true;
}

bool ProxyLink::split_segments(size_t bytes_each_direction) {
  if (!healthy()) return false;
  to_server_.split_bytes_left = bytes_each_direction;
  to_client_.split_bytes_left = bytes_each_direction;
  return true;
}

void ProxyLink::heal() {
  if (finished_) return;
  const Clock::time_point now = Clock::now();
  for (Pipe* pipe : {&to_server_, &to_client_}) {
    pipe->latency = std::chrono::milliseconds(0);
    pipe->bytes_per_second = 0;
    pipe->next_write_at = now;
    pipe->split_bytes_left = 0;
    for (Chunk& chunk : pipe->pending) chunk.due = std::min(chunk.due, now);
    pipe->timer.cancel();  // its handler writes what is now due
  }
}

}  // namespace tether::chaos
