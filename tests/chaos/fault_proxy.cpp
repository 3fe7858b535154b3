#include "fault_proxy.h"

#include <asio.hpp>
#include <future>
#include <map>
#include <thread>
#include <utility>

#include "proxy_link.h"

namespace tether::chaos {

// Owns the io thread, the acceptor and the link table. Every member is
// touched only on the io thread; public calls run there through call().
class FaultProxy::Impl {
 public:
  explicit Impl(uint16_t upstream_port)
      : upstream_(asio::ip::make_address("127.0.0.1"), upstream_port), acceptor_(io_), work_(io_.get_executor()) {}

  ~Impl() {
    if (thread_.joinable()) {
      call([this] {
        asio::error_code ignored;
        acceptor_.close(ignored);
        for (const auto& link : snapshot(kAllLinks)) link->reset();
        return 0;
      });
      work_.reset();
      io_.stop();
      thread_.join();
    }
    links_.clear();  // before io_, whose destructor frees the handlers still holding links
  }

  bool listen(uint16_t& port, std::string& error) {
    asio::error_code failure;
    const asio::ip::tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(local.protocol(), failure);
    if (!failure) acceptor_.set_option(asio::socket_base::reuse_address(true), failure);
    if (!failure) acceptor_.bind(local, failure);
    if (!failure) acceptor_.listen(asio::socket_base::max_listen_connections, failure);
    if (failure) {
      error = "fault proxy cannot listen: " + failure.message();
      return false;
    }
    port = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
    return true;
  }

  // Runs `task` on the io thread and returns its result.
  template <typename Task>
  auto call(Task task) -> decltype(task()) {
    // Shared: the io thread may still be leaving the task when get() returns.
    auto packaged = std::make_shared<std::packaged_task<decltype(task())()>>(std::move(task));
    auto result = packaged->get_future();
    asio::post(io_, [packaged] { (*packaged)(); });
    return result.get();
  }

  // The live links `target` names: one, or every one for kAllLinks.
  std::vector<std::shared_ptr<ProxyLink>> snapshot(LinkId target) const {
    std::vector<std::shared_ptr<ProxyLink>> picked;
    for (const auto& entry : links_) {
      if (target == kAllLinks || entry.first == target) picked.push_back(entry.second);
    }
    return picked;
  }

  // Applies `fault` to the links `target` names; counts each link it hit.
  template <typename Fault>
  size_t apply(LinkId target, uint64_t FaultCounts::*counter, Fault fault) {
    return call([this, target, counter, fault] {
      size_t hit = 0;
      for (const auto& link : snapshot(target)) hit += fault(*link) ? 1 : 0;
      counts_.*counter += hit;
      return hit;
    });
  }

  std::vector<LinkId> healthy_links() {
    return call([this] {
      std::vector<LinkId> ids;
      for (const auto& entry : links_) {
        if (entry.second->healthy()) ids.push_back(entry.first);
      }
      return ids;
    });
  }

  void heal(LinkId target) {
    call([this, target] {
      for (const auto& link : snapshot(target)) link->heal();
      return 0;
    });
  }

  FaultCounts counts() {
    return call([this] { return counts_; });
  }

  ProxyStats stats() {
    return call([this] {
      ProxyStats stats;
      stats.accepted = accepted_;
      stats.upstream_refused = counters_.upstream_refused;
      stats.open_links = links_.size();
      stats.link_objects = counters_.live_objects;
      stats.bytes_forwarded = counters_.bytes_forwarded;
      stats.bytes_blackholed = counters_.bytes_blackholed;
      return stats;
    });
  }

 private:
  void accept() {
    acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
      if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!error) {
        const LinkId id = next_id_++;
        ++accepted_;
        auto link = std::make_shared<ProxyLink>(id, std::move(socket), counters_,
                                                [this](LinkId finished) { links_.erase(finished); });
        links_.emplace(id, link);
        link->start(upstream_);
      }
      accept();  // a failed accept (out of fds) must not stop the proxy
    });
  }

  asio::io_context io_;  // first: destroyed last
  const asio::ip::tcp::endpoint upstream_;
  asio::ip::tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::map<LinkId, std::shared_ptr<ProxyLink>> links_;  // open links, by accept order
  LinkId next_id_ = kAllLinks + 1;
  uint64_t accepted_ = 0;
  LinkCounters counters_;
  FaultCounts counts_;
  std::thread thread_;
};

FaultProxy::FaultProxy(uint16_t upstream_port) : impl_(std::make_unique<Impl>(upstream_port)) {}

FaultProxy::~FaultProxy() = default;

bool FaultProxy::start() {
  if (port_ != 0) return true;
  return impl_->listen(port_, error_);
}

std::vector<LinkId> FaultProxy::healthy_links() const { return impl_->healthy_links(); }

size_t FaultProxy::reset(LinkId link) {
  return impl_->apply(link, &FaultCounts::reset, [](ProxyLink& l) { return l.reset(); });
}

size_t FaultProxy::close_with_fin(LinkId link) {
  return impl_->apply(link, &FaultCounts::fin, [](ProxyLink& l) { return l.close_with_fin(); });
}

size_t FaultProxy::blackhole(LinkId link, Direction direction) {
  return impl_->apply(link, &FaultCounts::blackhole, [direction](ProxyLink& l) { return l.blackhole(direction); });
}

size_t FaultProxy::set_latency(LinkId link, int64_t latency_ms) {
  const std::chrono::milliseconds latency(latency_ms);
  return impl_->apply(link, &FaultCounts::latency, [latency](ProxyLink& l) { return l.set_latency(latency); });
}

size_t FaultProxy::set_throttle(LinkId link, uint64_t bytes_per_second) {
  return impl_->apply(link, &FaultCounts::throttle,
                      [bytes_per_second](ProxyLink& l) { return l.set_throttle(bytes_per_second); });
}

size_t FaultProxy::split_segments(LinkId link, size_t bytes_each_direction) {
  return impl_->apply(link, &FaultCounts::segments,
                      [bytes_each_direction](ProxyLink& l) { return l.split_segments(bytes_each_direction); });
}

void FaultProxy::heal(LinkId link) { impl_->heal(link); }

FaultCounts FaultProxy::counts() const { return impl_->counts(); }

ProxyStats FaultProxy::stats() const { return impl_->stats(); }

}  // namespace tether::chaos
