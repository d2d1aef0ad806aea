// http2::BlockPool: the per-thread block cache behind the codec's per-stream allocations.

#include "http2/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace meshd::http2 {
namespace {

TEST(BlockPoolTest, ReusesAFreedBlockOfTheSameSizeClass) {
  void* a = BlockPool::allocate(100);
  ASSERT_NE(a, nullptr);
  EXPECT_GE(BlockPool::capacity(a), 100u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a) % alignof(std::max_align_t), 0u);
  const std::size_t before = BlockPool::cached_bytes();
  BlockPool::release(a);
  EXPECT_EQ(BlockPool::cached_bytes(), before + BlockPool::capacity(a));
  void* b = BlockPool::allocate(120);  // same class (97-128 bytes): the freed block comes back
  EXPECT_EQ(b, a);
  EXPECT_EQ(BlockPool::cached_bytes(), before);
  BlockPool::release(b);
}

TEST(BlockPoolTest, FreedBlocksComeBackLastFreedFirstWithoutBeingRead) {
  // The pool keeps nothing inside a free block (taking one must not read it: it is usually out
  // of cache by then): whatever a freed block holds, the blocks come back intact, newest first.
  constexpr std::size_t kSize = 200;
  std::vector<void*> blocks;
  for (int i = 0; i < 5; ++i) {
    blocks.push_back(BlockPool::allocate(kSize));
    ASSERT_NE(blocks.back(), nullptr);
  }
  for (void* p : blocks) {
    BlockPool::release(p);
    std::memset(p, 0xa5, kSize);  // still the pool's memory: a stale pointer's write
  }
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    void* p = BlockPool::allocate(kSize);
    EXPECT_EQ(p, *it);
    EXPECT_GE(BlockPool::capacity(p), kSize) << "the block's own size survives";
  }
  for (void* p : blocks) {
    BlockPool::release(p);
  }
}

TEST(BlockPoolTest, LargeBlocksAreNotCached) {
  const std::size_t before = BlockPool::cached_bytes();
  void* p = BlockPool::allocate(BlockPool::kMaxPooledBytes + 1);
  ASSERT_NE(p, nullptr);
  std::memset(p, 0x5a, BlockPool::kMaxPooledBytes + 1);
  BlockPool::release(p);
  EXPECT_EQ(BlockPool::cached_bytes(), before);
  BlockPool::release(nullptr);  // ignored
}

TEST(BlockPoolTest, ReallocateKeepsTheContents) {
  auto* p = static_cast<char*>(BlockPool::reallocate(nullptr, 10));
  ASSERT_NE(p, nullptr);
  std::memcpy(p, "0123456789", 10);
  // Within its size class: the same block.
  auto* q = static_cast<char*>(BlockPool::reallocate(p, BlockPool::capacity(p)));
  EXPECT_EQ(q, p);
  // Into a larger class, then past the cached sizes, then back down.
  q = static_cast<char*>(BlockPool::reallocate(q, 500));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(std::string(q, 10), "0123456789");
  q = static_cast<char*>(BlockPool::reallocate(q, 100000));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(std::string(q, 10), "0123456789");
  q[99999] = 'x';
  q = static_cast<char*>(BlockPool::reallocate(q, 200000));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(std::string(q, 10), "0123456789");
  EXPECT_EQ(q[99999], 'x');
  q = static_cast<char*>(BlockPool::reallocate(q, 4));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(std::string(q, 4), "0123");
  BlockPool::release(q);
}

TEST(BlockPoolTest, CacheIsBounded) {
  std::vector<void*> blocks;
  const std::size_t n = BlockPool::kMaxCachedBytes / BlockPool::kMaxPooledBytes + 100;
  for (std::size_t i = 0; i < n; ++i) {
    blocks.push_back(BlockPool::allocate(BlockPool::kMaxPooledBytes));
    ASSERT_NE(blocks.back(), nullptr);
  }
  for (void* p : blocks) {
    BlockPool::release(p);
  }
  EXPECT_LE(BlockPool::cached_bytes(), BlockPool::kMaxCachedBytes);
  EXPECT_GT(BlockPool::cached_bytes(), BlockPool::kMaxCachedBytes / 2);
}

TEST(BlockPoolTest, BlocksMayBeFreedOnAnotherThread) {
  void* p = BlockPool::allocate(64);
  ASSERT_NE(p, nullptr);
  std::size_t other_cached = 0;
  std::thread t([p, &other_cached] {
    BlockPool::release(p);
    other_cached = BlockPool::cached_bytes();
  });
  t.join();  // the other thread's cache was released as it exited
  EXPECT_GE(other_cached, 64u);
}

TEST(BlockPoolTest, Nghttp2AllocatorZeroesCallocAndReallocates) {
  nghttp2_mem* mem = nghttp2_pool_mem();
  auto* p = static_cast<unsigned char*>(BlockPool::allocate(200));
  std::memset(p, 0xff, 200);
  BlockPool::release(p);
  auto* z = static_cast<unsigned char*>(mem->calloc(20, 10, mem->mem_user_data));
  ASSERT_NE(z, nullptr);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(z[i], 0) << i;
  }
  z = static_cast<unsigned char*>(mem->realloc(z, 2000, mem->mem_user_data));
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z[199], 0);
  mem->free(z, mem->mem_user_data);
  EXPECT_EQ(mem->calloc(SIZE_MAX / 2, 4, mem->mem_user_data), nullptr);  // overflow
  void* m = mem->malloc(1, mem->mem_user_data);
  ASSERT_NE(m, nullptr);
  mem->free(m, mem->mem_user_data);
}

TEST(BlockPoolTest, PoolAllocatorServesSharedObjectsAndMaps) {
  auto s = std::allocate_shared<std::string>(PoolAllocator<std::string>(), "shared state");
  EXPECT_EQ(*s, "shared state");
  std::unordered_map<int, int, std::hash<int>, std::equal_to<>,
                     PoolAllocator<std::pair<const int, int>>>
      map;
  for (int i = 0; i < 1000; ++i) {
    map.emplace(i, i * 2);
  }
  for (int i = 0; i < 1000; i += 2) {
    map.erase(i);
  }
  EXPECT_EQ(map.size(), 500u);
  EXPECT_EQ(map.at(999), 1998);
}

}  // namespace
}  // namespace meshd::http2
