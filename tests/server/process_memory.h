#pragma once
// Resident set size of a process, for tests that bound a server's memory
// (Linux; 0 if unknown).
#include <stdlib.h>

#include <cstddef>
#include <fstream>
#include <optional>
#include <string>

namespace tether::server::test {

inline size_t resident_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

// Sanitizers' shadow memory and quarantine grow RSS with every allocation,
// bounded or not; the unbounded cases still exceed the scaled budget by far.
// TSan's shadow memory grows several times faster still, so there RSS is
// not asserted at all (the accounted-bytes checks still are).
inline double rss_budget_mib(double plain_mib) {
#if defined(TETHER_TSAN_BUILD)
  (void)plain_mib;
  return 1e300;
#elif defined(TETHER_SANITIZED_BUILD)
  return plain_mib * 4;
#else
  return plain_mib;
#endif
}

// AddressSanitizer keeps freed memory in a quarantine (256 MiB by default),
// so in an instrumented server RSS follows how much passed through it, not
// what it keeps: 20 MiB fanned out once showed as +220 MiB. Servers started
// while this lives run without the quarantine; elsewhere it changes nothing.
class NoAsanQuarantineForChildren {
 public:
  NoAsanQuarantineForChildren() {
    if (const char* options = ::getenv("ASAN_OPTIONS")) saved_ = options;
    const std::string options = saved_ ? *saved_ + ":quarantine_size_mb=0" : "quarantine_size_mb=0";
    ::setenv("ASAN_OPTIONS", options.c_str(), 1);
  }
  ~NoAsanQuarantineForChildren() {
    if (saved_) {
      ::setenv("ASAN_OPTIONS", saved_->c_str(), 1);
    } else {
      ::unsetenv("ASAN_OPTIONS");
    }
  }
  NoAsanQuarantineForChildren(const NoAsanQuarantineForChildren&) = delete;
  NoAsanQuarantineForChildren& operator=(const NoAsanQuarantineForChildren&) = delete;

 private:
  std::optional<std::string> saved_;
};

}  // namespace tether::server::test
