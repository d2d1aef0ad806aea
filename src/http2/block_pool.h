#pragma once

// A per-thread cache of small heap blocks for the HTTP/2 codec's per-stream allocations: the
// nghttp2 sessions' own (streams, outbound frames, HPACK entries, header copies: through
// `nghttp2_pool_mem()`) and ours (stream state, stream maps: through `PoolAllocator`). A proxy
// at load allocates and frees these in bursts of hundreds of streams, which overflow malloc's
// small per-thread cache and send every call down its slow path; here a freed block waits on a
// stack of its size class (of pointers, kept apart from the blocks) for the next stream.
// Private to src/http2.

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <new>

namespace meshd::http2 {

/// The block cache of the calling thread. Blocks of up to `kMaxPooledBytes` are rounded up to a
/// size class and, once freed, kept (up to `kMaxCachedBytes` per thread) for the next allocation
/// of that class; larger blocks go to malloc directly. A block may be freed on another thread
/// than the one that allocated it (it then joins that thread's cache). The cache is released
/// when its thread exits. Every function is thread-safe in that each thread has its own cache.
class BlockPool {
 public:
  /// Blocks up to this size (usable bytes) are cached.
  static constexpr std::size_t kMaxPooledBytes = 1024;
  /// Bytes of free blocks a thread keeps at most; past it freed blocks go back to malloc.
  static constexpr std::size_t kMaxCachedBytes = 4 * 1024 * 1024;

  /// `n` bytes (at least one), aligned for any fundamental type; null when out of memory.
  static void* allocate(std::size_t n) noexcept;
  /// Frees a block from `allocate` or `reallocate`; null is ignored.
  static void release(void* p) noexcept;
  /// `realloc` semantics: keeps the block when it is large enough, else moves the contents;
  /// `p` null allocates; returns null (leaving `p` untouched) when out of memory.
  static void* reallocate(void* p, std::size_t n) noexcept;
  /// Usable bytes of a block from `allocate` (its size class), for tests.
  static std::size_t capacity(const void* p) noexcept;
  /// Bytes of free blocks the calling thread's cache holds now, for tests.
  static std::size_t cached_bytes() noexcept;
};

/// Class-level `operator new`/`delete` over `BlockPool`, for objects made once per stream
/// (derive from it).
struct BlockPooled {
  static void* operator new(std::size_t n) {
    void* p = BlockPool::allocate(n);
    if (p == nullptr) {
      throw std::bad_alloc();
    }
    return p;
  }
  static void operator delete(void* p) noexcept { BlockPool::release(p); }
};

/// An nghttp2 allocator over `BlockPool`, for `nghttp2_session_*_new3` (nghttp2 copies it).
nghttp2_mem* nghttp2_pool_mem() noexcept;

/// A standard allocator over `BlockPool`, for `std::allocate_shared` and node containers.
template <class T>
struct PoolAllocator {
  using value_type = T;

  PoolAllocator() noexcept = default;
  template <class U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) {
    void* p = BlockPool::allocate(n * sizeof(T));
    if (p == nullptr) {
      throw std::bad_alloc();
    }
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t) noexcept { BlockPool::release(p); }

  template <class U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace meshd::http2
