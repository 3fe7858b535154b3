#include "stalled_lookup.h"

#include <dlfcn.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string_view>

namespace tether::test {

namespace {

struct StallState {
  std::mutex mutex;
  std::condition_variable changed;
  int entered = 0;
  int returned = 0;
  bool released = true;  // stalls only while a StalledLookups lives
};

// Never destroyed: a lookup thread may still be inside the stall at exit.
StallState& state() {
  static StallState* shared = new StallState();
  return *shared;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

int stall() {
  StallState& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  ++s.entered;
  s.changed.notify_all();
  s.changed.wait_for(lock, std::chrono::milliseconds(kStallLimitMs), [&] { return s.released; });
  ++s.returned;
  s.changed.notify_all();
  return EAI_AGAIN;
}

using GetAddrInfo = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

}  // namespace

StalledLookups::StalledLookups() {
  StallState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.released = false;
  baseline_ = s.entered;
}

StalledLookups::~StalledLookups() {
  release();
  wait_all_returned(2 * kStallLimitMs);
}

bool StalledLookups::wait_entered(int count, int64_t timeout_ms) {
  StallState& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  return s.changed.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                            [&] { return s.entered - baseline_ >= count; });
}

void StalledLookups::release() {
  StallState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.released = true;
  s.changed.notify_all();
}

bool StalledLookups::wait_all_returned(int64_t timeout_ms) {
  StallState& s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  return s.changed.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return s.returned == s.entered; });
}

}  // namespace tether::test

extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** result) {
  if (node != nullptr && tether::test::ends_with(node, tether::test::kStalledDomain)) return tether::test::stall();
  if (node != nullptr && tether::test::ends_with(node, tether::test::kFailingDomain)) return EAI_NONAME;
  static const auto next = reinterpret_cast<tether::test::GetAddrInfo>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (next == nullptr) return EAI_SYSTEM;
  return next(node, service, hints, result);
}
