#pragma once

// An immutable snapshot published by the control thread and read by any thread.

#include <memory>
#include <mutex>
#include <utility>

namespace meshd::core {

/// Holds a `shared_ptr<const T>` that one thread replaces and any thread copies. The lock only
/// guards the pointer copy (one atomic increment), so readers never wait on real work.
/// libstdc++ 12's `std::atomic<std::shared_ptr>` is itself a spin lock, and one that
/// ThreadSanitizer cannot see through; a plain mutex is as fast and checkable.
template <class T>
class SharedSnapshot {
 public:
  /// A cell holding `initial`.
  explicit SharedSnapshot(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}

  /// The current snapshot. Thread-safe.
  std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

  /// Publishes `next`; the old snapshot lives on while readers hold it. Thread-safe.
  void store(std::shared_ptr<const T> next) {
    std::lock_guard lock(mutex_);
    value_.swap(next);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
};

}  // namespace meshd::core
