#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace meshd::telemetry {

/// Size of the cells that keep two workers' hot counters off one cache line.
inline constexpr std::size_t kCacheLineSize = 64;

namespace detail {
/// Slot of the current thread: 0 for threads that are not workers, `i + 1` for worker `i`.
/// Constant-initialised, so reading it compiles to a plain TLS load.
inline thread_local std::size_t t_worker_slot = 0;
}  // namespace detail

/// Declares the calling thread to be worker `index` (0-based), so that its metric updates go to
/// its own slot. Call once at the start of each worker thread. Threads that never call it (the
/// control thread, tests) share slot 0; that is correct, only slower under contention.
inline void set_worker_index(std::size_t index) noexcept { detail::t_worker_slot = index + 1; }

/// Forgets the calling thread's worker index: its updates go to slot 0 again.
inline void clear_worker_index() noexcept { detail::t_worker_slot = 0; }

/// The slot of the calling thread (see `set_worker_index`).
inline std::size_t worker_slot() noexcept { return detail::t_worker_slot; }

/// One `T` per worker slot, each on its own cache line, so that workers update their own cell
/// without sharing a line. A thread whose slot is out of range uses cell 0, which is why cells
/// hold atomics: a cell may be shared, and readers on other threads sum them at any time.
template <class T>
class PerWorker {
 public:
  /// Creates `slots` cells (at least one): pass the worker count plus one.
  explicit PerWorker(std::size_t slots)
      : size_(slots == 0 ? 1 : slots), cells_(std::make_unique<Cell[]>(size_)) {}

  /// The calling thread's cell.
  T& local() noexcept {
    std::size_t slot = worker_slot();
    return cells_[slot < size_ ? slot : 0].value;
  }

  /// Adds `delta` to the calling thread's cell, which must hold an atomic integer. A worker owns
  /// its cell, so its add is a load and a store (no locked instruction; readers on other threads
  /// still see whole values); threads without a cell of their own share cell 0 with an atomic
  /// add.
  template <class D>
  void add_local(D delta) noexcept {
    const std::size_t slot = worker_slot();
    if (slot != 0 && slot < size_) {
      T& cell = cells_[slot].value;
      cell.store(cell.load(std::memory_order_relaxed) + delta, std::memory_order_relaxed);
    } else {
      cells_[0].value.fetch_add(delta, std::memory_order_relaxed);
    }
  }

  /// Number of cells.
  std::size_t size() const noexcept { return size_; }
  /// Cell `i` (< `size()`), for readers that sum or scan every cell.
  T& operator[](std::size_t i) noexcept { return cells_[i].value; }
  const T& operator[](std::size_t i) const noexcept { return cells_[i].value; }

 private:
  struct alignas(kCacheLineSize) Cell {
    T value{};
  };

  std::size_t size_;
  std::unique_ptr<Cell[]> cells_;
};

}  // namespace meshd::telemetry
