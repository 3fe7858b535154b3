#pragma once
// One proxied TCP connection: the client's socket, the upstream socket, and
// a pipe each way that copies bytes through whatever fault is in force.
// Everything here runs on the proxy's io thread; FaultProxy marshals calls.
#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fault_proxy.h"

namespace tether::chaos {

struct LinkCounters {
  int64_t live_objects = 0;  // ProxyLinks not yet destroyed
  uint64_t bytes_forwarded = 0;
  uint64_t bytes_blackholed = 0;
  uint64_t upstream_refused = 0;
};

class ProxyLink : public std::enable_shared_from_this<ProxyLink> {
 public:
  using Clock = std::chrono::steady_clock;
  // Called once, on the io thread, when both sockets are closed.
  using OnFinished = std::function<void(LinkId)>;

  ProxyLink(LinkId id, asio::ip::tcp::socket client, LinkCounters& counters, OnFinished on_finished);
  ~ProxyLink();

  // Connects upstream, then forwards both ways.
  void start(const asio::ip::tcp::endpoint& upstream);

  LinkId id() const { return id_; }
  // Open and not yet reset, closed or black-holed.
  bool healthy() const { return !finished_ && !fin_sent_ && !to_server_.blackholed && !to_client_.blackholed; }
  bool finished() const { return finished_; }

  // Faults (io thread). Each returns false if the link is already past hurting.
  bool reset();
  bool close_with_fin();
  bool blackhole(Direction direction);
  bool set_latency(std::chrono::milliseconds latency);
  bool set_throttle(uint64_t bytes_per_second);
  bool split_segments(size_t bytes_each_direction);
  void heal();  // latency, throttle and splitting off

 private:
  struct Chunk {
    Clock::time_point due;
    std::string bytes;  // empty with `eof`: forward the sender's FIN
    size_t offset = 0;
    bool eof = false;
  };
  // Bytes flowing one way: read from `from`, written to `to`.
  struct Pipe {
    Pipe(asio::ip::tcp::socket& source, asio::ip::tcp::socket& sink)
        : from(source), to(sink), timer(source.get_executor()) {}
    asio::ip::tcp::socket& from;
    asio::ip::tcp::socket& to;
    asio::steady_timer timer;
    std::vector<char> read_buffer = std::vector<char>(16384);
    std::deque<Chunk> pending;
    size_t pending_bytes = 0;
    bool reading = false;
    bool writing = false;
    bool timer_armed = false;
    bool read_done = false;   // `from` sent its FIN (or died, for a black hole)
    bool write_done = false;  // our FIN went out on `to`
    bool blackholed = false;
    std::chrono::milliseconds latency{0};
    uint64_t bytes_per_second = 0;
    Clock::time_point next_write_at{};  // the throttle's pace
    size_t split_bytes_left = 0;
  };

  void read(Pipe& pipe);
  void on_read(Pipe& pipe, const asio::error_code& error, size_t bytes);
  void write(Pipe& pipe);
  void on_written(Pipe& pipe, const asio::error_code& error, size_t bytes);
  void wait_until(Pipe& pipe, Clock::time_point at);
  void drop_pending(Pipe& pipe);
  void finish_if_done();
  void abort_sockets();
  void close_sockets();

  const LinkId id_;
  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket server_;
  Pipe to_server_{client_, server_};
  Pipe to_client_{server_, client_};
  LinkCounters& counters_;
  OnFinished on_finished_;
  asio::steady_timer fin_deadline_;
  bool connected_ = false;
  bool fin_sent_ = false;
  bool finished_ = false;
};

}  // namespace tether::chaos
