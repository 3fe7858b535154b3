#include "transport/detail/hiredis_asio.h"

#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <hiredis/async.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace tether::transport::detail {

namespace {

HiredisSocketWatch* watch_of(void* privdata) { return static_cast<HiredisSocketWatch*>(privdata); }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

}  // namespace

RedisReply to_redis_reply(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = reply.type == REDIS_REPLY_STRING   ? RedisReply::Type::String
                 : reply.type == REDIS_REPLY_STATUS ? RedisReply::Type::Status
                                                    : RedisReply::Type::Error;
      if (reply.str != nullptr) out.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::Integer;
      out.integer = static_cast<int64_t>(reply.integer);
      break;
    case REDIS_REPLY_NIL:
      out.type = RedisReply::Type::Nil;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::Array;
      out.elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) out.elements.push_back(to_redis_reply(*reply.element[i]));
      break;
    default:
      out.type = RedisReply::Type::Error;
      out.text = "unsupported reply type " + std::to_string(reply.type);
  }
  return out;
}

bool hiredis_cannot_pair_replies(const std::vector<std::string>& argv) noexcept {
  static constexpr std::string_view kRefused[] = {
      "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe",
      "monitor",   "hello",      "sync",       "psync",
  };
  for (std::string_view name : kRefused) {
    if (iequals(argv[0], name)) return true;
  }
  return argv.size() >= 2 && iequals(argv[0], "client") && iequals(argv[1], "reply");
}

std::shared_ptr<HiredisSocketWatch> HiredisSocketWatch::attach(asio::io_context& io, redisAsyncContext& ac,
                                                               const asio::generic::stream_protocol& protocol,
                                                               Callbacks callbacks, std::string& why) {
  auto watch = std::make_shared<HiredisSocketWatch>(io, std::move(callbacks));
  asio::error_code ec;
  watch->socket_.assign(protocol, ac.c.fd, ec);
  if (ec) {
    why = "cannot watch the redis socket: " + ec.message();
    return nullptr;
  }
  watch->attached_ = true;
  ac.ev.data = watch.get();
  ac.ev.addRead = &HiredisSocketWatch::add_read;
  ac.ev.delRead = &HiredisSocketWatch::del_read;
  ac.ev.addWrite = &HiredisSocketWatch::add_write;
  ac.ev.delWrite = &HiredisSocketWatch::del_write;
  ac.ev.cleanup = &HiredisSocketWatch::cleanup;
  return watch;
}

HiredisSocketWatch::HiredisSocketWatch(asio::io_context& io, Callbacks callbacks)
    : socket_(io), callbacks_(std::move(callbacks)) {}

HiredisSocketWatch::~HiredisSocketWatch() { release_descriptor(); }

// The hooks are C callbacks inside hiredis: nothing may be thrown through them.
void HiredisSocketWatch::add_read(void* privdata) { watch_of(privdata)->want(Readiness::Readable, true); }
void HiredisSocketWatch::del_read(void* privdata) { watch_of(privdata)->want(Readiness::Readable, false); }
void HiredisSocketWatch::add_write(void* privdata) { watch_of(privdata)->want(Readiness::Writable, true); }
void HiredisSocketWatch::del_write(void* privdata) { watch_of(privdata)->want(Readiness::Writable, false); }

void HiredisSocketWatch::cleanup(void* privdata) {
  HiredisSocketWatch* watch = watch_of(privdata);
  watch->attached_ = false;
  watch->want_read_ = false;
  watch->want_write_ = false;
  // Now, while the descriptor is still open: hiredis closes it right after.
  watch->release_descriptor();
  if (watch->callbacks_.on_cleanup) watch->callbacks_.on_cleanup();
}

void HiredisSocketWatch::want(Readiness which, bool wanted) {
  (which == Readiness::Readable ? want_read_ : want_write_) = wanted;
  // A stale wait is not cancelled on "del": cancelling would abort the other
  // direction's wait too, and a wait nobody wants is ignored when it fires.
  if (wanted) arm(which);
}

void HiredisSocketWatch::arm(Readiness which) {
  bool& waiting = which == Readiness::Readable ? read_waiting_ : write_waiting_;
  if (waiting || !attached_) return;
  try {
    const auto wait_type = which == Readiness::Readable ? asio::socket_base::wait_read : asio::socket_base::wait_write;
    // A weak reference: a wait still queued when the watch is gone does nothing.
    socket_.async_wait(wait_type, [weak = weak_from_this(), which](const asio::error_code& ec) {
      if (auto self = weak.lock()) self->on_wait_done(which, ec);
    });
    waiting = true;
  } catch (...) {
    report_wait_failure("cannot wait on the redis socket (out of memory)");
  }
}

void HiredisSocketWatch::on_wait_done(Readiness which, const asio::error_code& ec) {
  (which == Readiness::Readable ? read_waiting_ : write_waiting_) = false;
  if (ec == asio::error::operation_aborted || !attached_) return;
  if (ec) {
    report_wait_failure("waiting on the redis socket failed: " + ec.message());
    return;
  }
  const bool wanted = which == Readiness::Readable ? want_read_ : want_write_;
  if (!wanted) return;
  if (callbacks_.on_ready) callbacks_.on_ready(which);
  // hiredis re-adds what it still wants from inside the call (which re-arms),
  // but not on every path (a connect still in progress), so wants persist.
  const bool still_wanted = which == Readiness::Readable ? want_read_ : want_write_;
  if (still_wanted) arm(which);
}

void HiredisSocketWatch::release_descriptor() noexcept {
  if (!socket_.is_open()) return;
  asio::error_code ignored;
  // Aborts the outstanding waits and forgets the descriptor without closing it.
  socket_.release(ignored);
}

void HiredisSocketWatch::report_wait_failure(const std::string& why) {
  if (failure_reported_) return;
  failure_reported_ = true;
  try {
    if (callbacks_.on_wait_failed) callbacks_.on_wait_failed(why);
  } catch (...) {
    // The owner only takes note; if even that fails, its command timeout still
    // ends a connection that makes no progress.
  }
}

HiredisConnection open_hiredis_connection(asio::io_context& io, const RedisAddress& address, void* data,
                                          HiredisSocketWatch::Callbacks callbacks, std::string& why) noexcept {
  try {
    asio::generic::stream_protocol protocol(asio::ip::tcp::v4());
    redisAsyncContext* ac = nullptr;
    if (!address.unix_path.empty()) {
#if defined(ASIO_HAS_LOCAL_SOCKETS)
      protocol = asio::generic::stream_protocol(asio::local::stream_protocol());
      ac = redisAsyncConnectUnix(address.unix_path.c_str());
#else
      why = "unix sockets are not supported on this platform";
      return {};
#endif
    } else {
      asio::error_code ec;
      const asio::ip::address ip = asio::ip::make_address(address.host, ec);
      if (ec) {
        why = "host \"" + address.host + "\" is not an IP address (a name lookup would block the loop)";
        return {};
      }
      if (ip.is_v6()) protocol = asio::generic::stream_protocol(asio::ip::tcp::v6());
      ac = redisAsyncConnect(address.host.c_str(), address.port);
    }
    if (ac == nullptr) {
      why = "out of memory";
      return {};
    }
    // hiredis reports a failure it detects at once (refused, no such socket) here.
    // Keepalive: a subscriber with nothing pending notices a vanished host only through it.
    if (ac->err != 0 || (address.unix_path.empty() && redisEnableKeepAlive(&ac->c) != REDIS_OK)) {
      char reason[sizeof ac->c.errstr];
      std::memcpy(reason, ac->c.errstr, sizeof reason);
      reason[sizeof reason - 1] = '\0';
      redisAsyncFree(ac);  // first, so nothing below can leak it; no callback runs
      why = std::string("connect failed: ") + reason;
      return {};
    }
    ac->data = data;
    std::shared_ptr<HiredisSocketWatch> watch;
    try {
      watch = HiredisSocketWatch::attach(io, *ac, protocol, std::move(callbacks), why);
    } catch (...) {
      why = "out of memory";
    }
    if (watch == nullptr) {
      redisAsyncFree(ac);
      return {};
    }
    return HiredisConnection{ac, std::move(watch)};
  } catch (...) {
    return {};  // out of memory while describing a failure; `why` may be empty
  }
}

}  // namespace tether::transport::detail
