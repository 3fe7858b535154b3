#pragma once
// Host name lookups that never hold up a shutdown. Asio's own resolver runs
// getaddrinfo on a service thread that ~io_context joins, so a DNS server
// that does not answer made destroying a client wait seconds for it. Here a
// lookup runs on a detached thread of its own, and its result is dropped if
// whoever asked is gone by then.
#include "transport/detail/asio_setup.h"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tether::transport::detail {

// Lookups of one io_context. Thread safety: loop thread only (the detached
// threads reach only a shared mailbox).
class HostLookups {
 public:
  using Results = asio::ip::tcp::resolver::results_type;
  // Runs on the loop thread, never inside a HostLookups call except cancel*,
  // which pass asio::error::operation_aborted.
  using Done = std::function<void(const asio::error_code&, const Results&)>;

  // Detached lookup threads alive at once, process-wide; beyond this a
  // lookup fails at once (host_not_found_try_again), so a flood of lookups
  // that never answer cannot pile up threads.
  static constexpr int kMaxThreads = 32;

  explicit HostLookups(asio::io_context& io);
  // Forgets every pending lookup without calling it; threads still blocked
  // in the system resolver finish on their own and drop their result.
  ~HostLookups();
  HostLookups(const HostLookups&) = delete;
  HostLookups& operator=(const HostLookups&) = delete;

  // Resolves host:port (an IP literal without any lookup). Returns an id
  // for cancel().
  uint64_t start(const std::string& host, const std::string& port, Done done);
  // `done` of lookup `id`, if still pending, runs now with operation_aborted.
  void cancel(uint64_t id);
  void cancel_all();

  // Lookup threads alive in this process (for tests).
  static int threads_alive() noexcept;

 private:
  struct Mailbox;
  std::shared_ptr<Mailbox> mailbox_;
};

}  // namespace tether::transport::detail
