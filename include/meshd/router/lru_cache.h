#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace meshd::router {

/// A bounded map that forgets its least recently used entry when full and, on `expire`, every
/// entry unused for longer than a time to live (Linkerd's binding caches, inventory §6.5).
/// Worker-local: no locks. Values are owned; hold a `shared_ptr` value to keep one alive past
/// its eviction.
template <class Key, class Value, class Hash = std::hash<Key>>
class LruCache {
 public:
  using Clock = std::chrono::steady_clock;

  /// A cache holding at most `capacity` (≥ 1) entries.
  explicit LruCache(std::size_t capacity) : capacity_(capacity > 0 ? capacity : 1) {}

  /// The value at `key`, marked used at `now`; null when absent.
  Value* find(const Key& key, Clock::time_point now) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      return nullptr;
    }
    order_.splice(order_.begin(), order_, it->second);
    it->second->last_used = now;
    return &it->second->value;
  }

  /// Inserts or replaces the value at `key`, marked used at `now`; evicts the least recently
  /// used entry when that makes the cache exceed its capacity. Returns the stored value.
  Value& put(const Key& key, Value value, Clock::time_point now) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      it->second->value = std::move(value);
      it->second->last_used = now;
      return it->second->value;
    }
    order_.push_front(Node{key, std::move(value), now});
    index_.emplace(key, order_.begin());
    if (index_.size() > capacity_) {
      index_.erase(order_.back().key);
      order_.pop_back();
      ++evictions_;
    }
    return order_.front().value;
  }

  /// Drops every entry last used before `now - ttl`. Returns how many went.
  std::size_t expire(Clock::time_point now, Clock::duration ttl) {
    std::size_t n = 0;
    while (!order_.empty() && now - order_.back().last_used > ttl) {
      index_.erase(order_.back().key);
      order_.pop_back();
      ++n;
    }
    return n;
  }

  /// Removes `key` if present.
  void erase(const Key& key) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      order_.erase(it->second);
      index_.erase(it);
    }
  }

  /// Calls `f(value)` for every entry, most recently used first (without marking them used).
  template <class F>
  void for_each(F f) {
    for (auto& node : order_) {
      f(node.value);
    }
  }

  /// Removes every entry.
  void clear() {
    index_.clear();
    order_.clear();
  }

  std::size_t size() const noexcept { return index_.size(); }
  std::size_t capacity() const noexcept { return capacity_; }
  /// Entries dropped because the cache was full.
  std::size_t evictions() const noexcept { return evictions_; }

  /// Calls `f(key, value)` for every entry, most recently used first.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& n : order_) {
      f(n.key, n.value);
    }
  }

 private:
  struct Node {
    Key key;
    Value value;
    Clock::time_point last_used;
  };

  std::size_t capacity_;
  std::size_t evictions_ = 0;
  std::list<Node> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Node>::iterator, Hash> index_;
};

}  // namespace meshd::router
