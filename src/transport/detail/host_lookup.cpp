#include "transport/detail/host_lookup.h"

#include <asio/post.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace tether::transport::detail {

namespace {

std::atomic<int> g_threads_alive{0};

}  // namespace

// What a lookup thread shares with its HostLookups: the io_context to post
// the result to, cleared (under the mutex) before that io_context can go.
struct HostLookups::Mailbox {
  std::mutex mutex;
  asio::io_context* io = nullptr;  // null once the HostLookups is gone

  // Loop thread only.
  std::unordered_map<uint64_t, Done> pending;
  uint64_t next_id = 1;

  // Any thread. The result runs as a task on the loop, never inside this call.
  static void deliver(const std::shared_ptr<Mailbox>& self, uint64_t id, asio::error_code ec, Results results) {
    std::lock_guard<std::mutex> lock(self->mutex);
    if (self->io == nullptr) return;
    try {
      asio::post(*self->io, [self, id, ec, results = std::move(results)] { self->finish(id, ec, results); });
    } catch (...) {
      // Out of memory: the connection's DNS timer ends the attempt instead.
    }
  }

  void finish(uint64_t id, const asio::error_code& ec, const Results& results) {
    auto it = pending.find(id);
    if (it == pending.end()) return;  // cancelled meanwhile
    Done done = std::move(it->second);
    pending.erase(it);
    done(ec, results);
  }
};

HostLookups::HostLookups(asio::io_context& io) : mailbox_(std::make_shared<Mailbox>()) {
  mailbox_->io = &io;
}

HostLookups::~HostLookups() {
  {
    std::lock_guard<std::mutex> lock(mailbox_->mutex);
    mailbox_->io = nullptr;
  }
  // The callbacks hold connections; free them here, on the loop's side.
  mailbox_->pending.clear();
}

uint64_t HostLookups::start(const std::string& host, const std::string& port, Done done) {
  const uint64_t id = mailbox_->next_id++;
  mailbox_->pending.emplace(id, std::move(done));

  asio::error_code not_an_address;
  const asio::ip::address address = asio::ip::make_address(host, not_an_address);
  if (!not_an_address) {
    // An IP literal needs no lookup (and no thread).
    asio::error_code ec;
    Results results;
    try {
      results = Results::create(asio::ip::tcp::endpoint(address, static_cast<unsigned short>(std::stoul(port))),
                                host, port);
    } catch (...) {
      ec = asio::error::service_not_found;  // the port is not a number
    }
    Mailbox::deliver(mailbox_, id, ec, std::move(results));
    return id;
  }

  if (g_threads_alive.fetch_add(1) >= kMaxThreads) {
    g_threads_alive.fetch_sub(1);
    Mailbox::deliver(mailbox_, id, asio::error::host_not_found_try_again, Results());
    return id;
  }
  try {
    std::thread([mailbox = mailbox_, id, host, port] {
      asio::error_code ec;
      Results results;
      try {
        // A synchronous resolve runs getaddrinfo on this thread; the local
        // io_context starts no service thread of its own.
        asio::io_context local;
        asio::ip::tcp::resolver resolver(local);
        results = resolver.resolve(host, port, ec);
      } catch (...) {
        ec = asio::error::no_memory;
      }
      Mailbox::deliver(mailbox, id, ec, std::move(results));
      g_threads_alive.fetch_sub(1);
    }).detach();
  } catch (...) {
    g_threads_alive.fetch_sub(1);
    Mailbox::deliver(mailbox_, id, asio::error::no_memory, Results());
  }
  return id;
}

void HostLookups::cancel(uint64_t id) {
  mailbox_->finish(id, asio::error::operation_aborted, Results());
}

void HostLookups::cancel_all() {
  // Taken out first: a callback may start or cancel lookups.
  std::unordered_map<uint64_t, Done> cancelled;
  cancelled.swap(mailbox_->pending);
  for (auto& [id, done] : cancelled) done(asio::error::operation_aborted, Results());
}

int HostLookups::threads_alive() noexcept { return g_threads_alive.load(); }

}  // namespace tether::transport::detail
