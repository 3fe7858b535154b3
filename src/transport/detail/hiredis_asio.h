#pragma once
// The seam between hiredis and the rest of the transport: its replies as
// RedisReply, and its async context driven from Asio.
//
// HiredisSocketWatch drives one hiredis async context from Asio. hiredis says
// which readiness it wants through its ev hooks (addRead, delWrite, ...); the
// watch waits for it with async_wait on a socket that borrows hiredis's
// descriptor, and hands the readiness back to the owner, which calls
// redisAsyncHandleRead/Write itself so it knows when hiredis's callbacks are
// on the stack.
//
// The descriptor stays hiredis's: it is released, never closed, from hiredis's
// cleanup hook (which runs before hiredis closes it) or from the destructor.
#include "transport/detail/asio_setup.h"

// Standard headers before Asio's: Asio picks its handler allocator (aligned_alloc
// or operator new) from libstdc++'s config macros, so a translation unit that
// includes Asio first picks differently from the others, and memory allocated
// in one is freed with the wrong function in another (ASan: alloc-dealloc-mismatch).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/generic/stream_protocol.hpp>
#include <asio/io_context.hpp>

#include "transport/redis_client.h"

struct redisAsyncContext;
struct redisReply;

namespace tether::transport::detail {

// A deep copy of hiredis's reply (which hiredis frees after the callback).
// Throws std::bad_alloc.
RedisReply to_redis_reply(const redisReply& reply);

// True for commands whose replies do not pair one-to-one with commands, or
// that change the protocol under hiredis 0.14 (pub/sub, MONITOR, HELLO, SYNC,
// CLIENT REPLY): sent as plain commands, they would hand later replies to the
// wrong callbacks or trip an assertion inside hiredis. `argv` is not empty.
bool hiredis_cannot_pair_replies(const std::vector<std::string>& argv) noexcept;

class HiredisSocketWatch : public std::enable_shared_from_this<HiredisSocketWatch> {
 public:
  enum class Readiness : uint8_t { Readable, Writable };

  // All run on the loop thread. on_ready runs from an Asio handler. The other
  // two may run inside hiredis (from a hook), so they must only take note.
  struct Callbacks {
    std::function<void(Readiness)> on_ready;  // call redisAsyncHandleRead/Write now
    // Waiting failed (an error that is not readiness, or out of memory): the
    // connection cannot make progress and should be dropped. At most once.
    std::function<void(const std::string& why)> on_wait_failed;
    std::function<void()> on_cleanup;  // hiredis is freeing the context: no more hooks
  };

  // Takes over `ac`'s ev hooks, watching its descriptor as `protocol` (the
  // family it was opened with). Returns nullptr, with `ac` untouched and `why`
  // set, if Asio cannot watch the descriptor.
  static std::shared_ptr<HiredisSocketWatch> attach(asio::io_context& io, redisAsyncContext& ac,
                                                    const asio::generic::stream_protocol& protocol,
                                                    Callbacks callbacks, std::string& why);

  explicit HiredisSocketWatch(asio::io_context& io, Callbacks callbacks);
  // Releases the descriptor if hiredis's cleanup has not: the owner must free
  // the context first or detach the hooks, or hiredis would call into freed memory.
  ~HiredisSocketWatch();
  HiredisSocketWatch(const HiredisSocketWatch&) = delete;
  HiredisSocketWatch& operator=(const HiredisSocketWatch&) = delete;

  // False once hiredis has run the cleanup hook.
  bool attached() const noexcept { return attached_; }

 private:
  // hiredis's ev hooks; `privdata` is this watch.
  static void add_read(void* privdata);
  static void del_read(void* privdata);
  static void add_write(void* privdata);
  static void del_write(void* privdata);
  static void cleanup(void* privdata);

  void want(Readiness which, bool wanted);
  void arm(Readiness which);
  void on_wait_done(Readiness which, const asio::error_code& ec);
  void release_descriptor() noexcept;
  void report_wait_failure(const std::string& why);

  asio::generic::stream_protocol::socket socket_;
  Callbacks callbacks_;
  bool attached_ = false;
  bool want_read_ = false;
  bool want_write_ = false;
  bool read_waiting_ = false;   // an async_wait(wait_read) is outstanding
  bool write_waiting_ = false;
  bool failure_reported_ = false;
};

// A context connecting (non-blocking) to `address`, watched by `watch`.
struct HiredisConnection {
  redisAsyncContext* context = nullptr;
  std::shared_ptr<HiredisSocketWatch> watch;
};

// Starts connecting to `address`, whose host must be an IP literal (hiredis
// would resolve a name with a blocking getaddrinfo), sets the context's data
// to `data` and attaches a watch. The caller then sets the connect callback,
// which asks for the first write readiness. On failure returns no context,
// with nothing left behind and `why` set. Throws nothing.
HiredisConnection open_hiredis_connection(asio::io_context& io, const RedisAddress& address, void* data,
                                          HiredisSocketWatch::Callbacks callbacks, std::string& why) noexcept;

}  // namespace tether::transport::detail
