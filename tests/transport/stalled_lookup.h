#pragma once
// A DNS server that never answers, without a network: the test executable
// defines getaddrinfo itself, which (ELF interposition, no LD_PRELOAD) takes
// the place of the C library's for every caller in the process, libtether.so
// and Asio included. Host names ending in kStalledDomain block inside
// getaddrinfo until release_stalled_lookups() or kStallLimitMs; names ending
// in kFailingDomain fail at once with EAI_NONAME; every other name goes to
// the C library. Linux/glibc only; compile stalled_lookup.cpp into the test.
#include <cstdint>

namespace tether::test {

constexpr const char* kStalledDomain = ".stall.tether.test";
constexpr const char* kFailingDomain = ".fail.tether.test";
// A stalled lookup gives up (EAI_AGAIN) after this long, so a failing test
// cannot hang. Well beyond the quick-destroy bound the tests assert.
constexpr int64_t kStallLimitMs = 3000;

// One test's use of the stall. Lookups stall while it lives; its destructor
// releases them and waits until every stalled lookup has left getaddrinfo.
// One at a time per process.
class StalledLookups {
 public:
  StalledLookups();
  ~StalledLookups();
  StalledLookups(const StalledLookups&) = delete;
  StalledLookups& operator=(const StalledLookups&) = delete;

  // Waits until `count` lookups have entered the stall since construction.
  bool wait_entered(int count, int64_t timeout_ms);
  // Lets every stalled lookup return EAI_AGAIN now, and later ones at once.
  void release();
  // Waits until every lookup that entered the stall has returned.
  bool wait_all_returned(int64_t timeout_ms);

 private:
  int baseline_ = 0;
};

}  // namespace tether::test
