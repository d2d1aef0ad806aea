// LruCache (include/meshd/router/lru_cache.h): capacity eviction, recency, idle expiry.

#include "meshd/router/lru_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshd::router {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

std::vector<std::string> keys(const LruCache<std::string, int>& cache) {
  std::vector<std::string> out;
  cache.for_each([&](const std::string& k, int) { out.push_back(k); });
  return out;
}

TEST(LruCacheTest, FullCacheForgetsTheLeastRecentlyUsed) {
  LruCache<std::string, int> cache(2);
  auto t = Clock::now();
  cache.put("a", 1, t);
  cache.put("b", 2, t);
  ASSERT_NE(cache.find("a", t), nullptr);  // a is now the most recent

  cache.put("c", 3, t);

  EXPECT_EQ(cache.find("b", t), nullptr);
  EXPECT_EQ(keys(cache), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(cache.evictions(), 1u);
}

TEST(LruCacheTest, PutReplacesWithoutEvicting) {
  LruCache<std::string, int> cache(2);
  auto t = Clock::now();
  cache.put("a", 1, t);
  cache.put("b", 2, t);

  cache.put("a", 10, t);

  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(*cache.find("a", t), 10);
  EXPECT_EQ(cache.evictions(), 0u);
}

TEST(LruCacheTest, ExpireDropsOnlyEntriesIdleLongerThanTheTtl) {
  LruCache<std::string, int> cache(10);
  auto t = Clock::now();
  cache.put("old", 1, t);
  cache.put("used", 2, t);
  cache.put("new", 3, t + seconds(50));
  cache.find("used", t + seconds(60));

  EXPECT_EQ(cache.expire(t + seconds(100), seconds(55)), 1u);

  EXPECT_EQ(keys(cache), (std::vector<std::string>{"used", "new"}));
  EXPECT_EQ(cache.expire(t + seconds(200), seconds(45)), 2u);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(LruCacheTest, CapacityZeroIsTreatedAsOne) {
  LruCache<std::string, int> cache(0);
  auto t = Clock::now();
  cache.put("a", 1, t);
  cache.put("b", 2, t);

  EXPECT_EQ(keys(cache), (std::vector<std::string>{"b"}));
}

}  // namespace
}  // namespace meshd::router
