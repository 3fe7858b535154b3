#include "allocation_counter.h"

#include <cstddef>
#include <cstdlib>
#include <new>

// Sanitizer runtimes own malloc themselves; interposing it there would mix
// two allocators, so those builds count operator new only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TETHER_BENCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define TETHER_BENCH_SANITIZED 1
#endif
#endif

#if defined(__GLIBC__) && !defined(TETHER_BENCH_SANITIZED)
#define TETHER_BENCH_COUNT_MALLOC 1
#endif

namespace {

// initial-exec: reading it must never allocate (a dynamic TLS lookup can),
// or malloc would recurse.
__attribute__((tls_model("initial-exec"))) thread_local uint64_t t_allocations = 0;

void* allocate_or_throw(std::size_t size) {
  if (size == 0) size = 1;
  if (void* block = std::malloc(size)) return block;
  throw std::bad_alloc();
}

void* allocate_aligned_or_throw(std::size_t size, std::align_val_t alignment) {
  const std::size_t align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (size + align - 1) / align * align;
  if (void* block = std::aligned_alloc(align, rounded == 0 ? align : rounded)) {
    ++t_allocations;  // aligned_alloc is never interposed, so always counted here
    return block;
  }
  throw std::bad_alloc();
}

}  // namespace

namespace tether::bench {

uint64_t thread_allocations() noexcept { return t_allocations; }

bool malloc_is_counted() noexcept {
#ifdef TETHER_BENCH_COUNT_MALLOC
  return true;
#else
  return false;
#endif
}

}  // namespace tether::bench

#ifdef TETHER_BENCH_COUNT_MALLOC
// glibc's own entry points, which its malloc family is documented to forward
// to; interposing the public names lets us count every C and C++ allocation.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* block, std::size_t size);

void* malloc(std::size_t size) noexcept {
  ++t_allocations;
  return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) noexcept {
  ++t_allocations;
  return __libc_calloc(count, size);
}

void* realloc(void* block, std::size_t size) noexcept {
  ++t_allocations;
  return __libc_realloc(block, size);
}
}  // extern "C"
#endif

// operator new goes through malloc, so with malloc counted each allocation
// is counted once; without it, operator new counts for itself.
void* operator new(std::size_t size) {
#ifndef TETHER_BENCH_COUNT_MALLOC
  ++t_allocations;
#endif
  return allocate_or_throw(size);
}

void* operator new[](std::size_t size) {
#ifndef TETHER_BENCH_COUNT_MALLOC
  ++t_allocations;
#endif
  return allocate_or_throw(size);
}

void* operator new(std::size_t size, std::align_val_t alignment) {
  return allocate_aligned_or_throw(size, alignment);
}

void* operator new[](std::size_t size, std::align_val_t alignment) {
  return allocate_aligned_or_throw(size, alignment);
}

void operator delete(void* block) noexcept { std::free(block); }
void operator delete[](void* block) noexcept { std::free(block); }
void operator delete(void* block, std::size_t) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t) noexcept { std::free(block); }
void operator delete(void* block, std::align_val_t) noexcept { std::free(block); }
void operator delete[](void* block, std::align_val_t) noexcept { std::free(block); }
void operator delete(void* block, std::size_t, std::align_val_t) noexcept { std::free(block); }
void operator delete[](void* block, std::size_t, std::align_val_t) noexcept { std::free(block); }
