#include "http2/block_pool.h"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace meshd::http2 {
namespace {

/// Every block starts with this header: its size class (`kLargeClass` for a block too large to
/// cache) and its usable bytes. 16 bytes keep the payload aligned as malloc's is.
struct BlockHeader {
  std::uint64_t size_class;
  std::uint64_t bytes;
};
static_assert(sizeof(BlockHeader) == 16);

constexpr std::size_t kGranule = 32;
constexpr std::size_t kClasses = BlockPool::kMaxPooledBytes / kGranule;
constexpr std::uint64_t kLargeClass = ~std::uint64_t{0};

constexpr std::size_t class_of(std::size_t n) { return n == 0 ? 0 : (n - 1) / kGranule; }
constexpr std::size_t bytes_of(std::size_t size_class) { return (size_class + 1) * kGranule; }

/// The free blocks of one size class: a stack of pointers beside the blocks, not a list
/// threaded through them. Taking a block then reads only this array (warm), never the block:
/// under load a freed block waits behind hundreds of others and is out of cache by its reuse,
/// and a link read from it stalled every allocation on a cache miss, where the caller's first
/// write to it does not.
struct FreeStack {
  void** slots;
  std::uint32_t size;
  std::uint32_t capacity;
};

/// The calling thread's free stacks. Trivially destructible, so that blocks freed during the
/// thread's exit (after `Reaper` ran) still find valid state: they then go to malloc.
struct Cache {
  std::array<FreeStack, kClasses> stacks;
  std::size_t bytes;
  bool closed;  ///< the thread is exiting: nothing is cached any more
};
thread_local Cache cache{};

/// Room for one more pointer in `s`; false when out of memory.
bool make_room(FreeStack& s) noexcept {
  if (s.size < s.capacity) {
    return true;
  }
  const std::uint32_t capacity = s.capacity == 0 ? 64 : s.capacity * 2;
  auto* slots = static_cast<void**>(std::realloc(s.slots, capacity * sizeof(void*)));
  if (slots == nullptr) {
    return false;
  }
  s.slots = slots;
  s.capacity = capacity;
  return true;
}

/// Releases the thread's cached blocks when the thread exits.
struct Reaper {
  Reaper() = default;
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;
  ~Reaper() {
    cache.closed = true;
    for (FreeStack& s : cache.stacks) {
      for (std::uint32_t i = 0; i < s.size; ++i) {
        std::free(static_cast<BlockHeader*>(s.slots[i]) - 1);
      }
      std::free(s.slots);
      s = FreeStack{};
    }
    cache.bytes = 0;
  }
};

/// Registers the thread's Reaper on first use (a thread_local with a destructor).
void arm_reaper() noexcept {
  thread_local Reaper reaper;
  (void)reaper;
}

BlockHeader* header_of(void* p) noexcept { return static_cast<BlockHeader*>(p) - 1; }

void* nghttp2_malloc_cb(std::size_t size, void*) { return BlockPool::allocate(size); }
void nghttp2_free_cb(void* p, void*) { BlockPool::release(p); }
void* nghttp2_calloc_cb(std::size_t nmemb, std::size_t size, void*) {
  if (size != 0 && nmemb > SIZE_MAX / size) {
    return nullptr;
  }
  void* p = BlockPool::allocate(nmemb * size);
  if (p != nullptr) {
    std::memset(p, 0, nmemb * size);
  }
  return p;
}
void* nghttp2_realloc_cb(void* p, std::size_t size, void*) {
  return BlockPool::reallocate(p, size);
}

}  // namespace

void* BlockPool::allocate(std::size_t n) noexcept {
  if (n <= kMaxPooledBytes) {
    const std::size_t c = class_of(n);
    if (FreeStack& s = cache.stacks[c]; s.size != 0) {
      cache.bytes -= bytes_of(c);
      return s.slots[--s.size];  // its header still holds its class and size
    }
    auto* h = static_cast<BlockHeader*>(std::malloc(sizeof(BlockHeader) + bytes_of(c)));
    if (h == nullptr) {
      return nullptr;
    }
    h->size_class = c;
    h->bytes = bytes_of(c);
    return h + 1;
  }
  if (n > SIZE_MAX - sizeof(BlockHeader)) {
    return nullptr;
  }
  auto* h = static_cast<BlockHeader*>(std::malloc(sizeof(BlockHeader) + n));
  if (h == nullptr) {
    return nullptr;
  }
  h->size_class = kLargeClass;
  h->bytes = n;
  return h + 1;
}

void BlockPool::release(void* p) noexcept {
  if (p == nullptr) {
    return;
  }
  BlockHeader* h = header_of(p);
  const std::uint64_t c = h->size_class;
  if (c == kLargeClass || cache.closed || cache.bytes + bytes_of(c) > kMaxCachedBytes) {
    std::free(h);
    return;
  }
  if (cache.bytes == 0) {
    arm_reaper();
  }
  FreeStack& s = cache.stacks[c];
  if (!make_room(s)) {
    std::free(h);
    return;
  }
  s.slots[s.size++] = p;
  cache.bytes += bytes_of(c);
}

void* BlockPool::reallocate(void* p, std::size_t n) noexcept {
  if (p == nullptr) {
    return allocate(n);
  }
  BlockHeader* h = header_of(p);
  const std::size_t have = h->bytes;
  if (h->size_class != kLargeClass && n <= have) {
    return p;  // its size class has room
  }
  if (h->size_class == kLargeClass && n > kMaxPooledBytes) {
    auto* g = static_cast<BlockHeader*>(std::realloc(h, sizeof(BlockHeader) + n));
    if (g == nullptr) {
      return nullptr;
    }
    g->bytes = n;
    return g + 1;
  }
  void* q = allocate(n);
  if (q == nullptr) {
    return nullptr;
  }
  std::memcpy(q, p, n < have ? n : have);
  release(p);
  return q;
}

std::size_t BlockPool::capacity(const void* p) noexcept {
  return (static_cast<const BlockHeader*>(p) - 1)->bytes;
}

std::size_t BlockPool::cached_bytes() noexcept { return cache.bytes; }

nghttp2_mem* nghttp2_pool_mem() noexcept {
  static nghttp2_mem mem{nullptr, &nghttp2_malloc_cb, &nghttp2_free_cb, &nghttp2_calloc_cb,
                         &nghttp2_realloc_cb};
  return &mem;
}

}  // namespace meshd::http2
