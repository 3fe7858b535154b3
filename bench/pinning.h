#pragma once
// tether-bench --pin: the servers (baseline and Tether) on one core, the
// clients (host thread, engine io thread, baseline client) on another, as an
// outside harness measured with taskset. Linux only, like the bench.
#include <sched.h>

namespace tether::bench {

// The core server threads pin themselves to, or -1 (not pinned).
inline int& server_cpu() {
  static int cpu = -1;
  return cpu;
}

// Pins the calling thread to `cpu`; threads it creates later inherit it.
inline bool pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

inline void pin_server_thread() {
  if (server_cpu() >= 0) pin_this_thread(server_cpu());
}

}  // namespace tether::bench
