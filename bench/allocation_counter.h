#pragma once
// Counts heap allocations made by the calling thread, so the bench can tell
// how many allocations a call such as Engine::pump() makes. Linking
// allocation_counter.cpp replaces the global operator new (and, outside
// sanitizer builds, malloc/calloc/realloc) for the whole executable.
#include <cstdint>

namespace tether::bench {

// Allocations by this thread since it started: operator new calls, plus
// malloc/calloc/realloc calls when malloc_is_counted().
uint64_t thread_allocations() noexcept;

// False in sanitizer builds, whose runtime owns malloc; then only operator
// new is counted.
bool malloc_is_counted() noexcept;

}  // namespace tether::bench
