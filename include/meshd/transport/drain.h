#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <unordered_set>

namespace meshd::transport {

/// Something that can be asked to finish its work and close (a server connection).
class Drainable {
 public:
  virtual ~Drainable() = default;
  /// Stop taking new requests: close at once when idle, else after the current response.
  virtual void drain() noexcept = 0;
  /// Periodic housekeeping from the worker's tick (e.g. watching a client whose request has
  /// been in flight for a while).
  virtual void tick(std::chrono::steady_clock::time_point /*now*/) noexcept {}
};

/// The live connections of one worker, so shutdown can drain them and learn when they are gone.
/// Worker-local: every call happens on that worker's thread.
class DrainGroup {
 public:
  void add(Drainable* d) { live_.insert(d); }
  void remove(Drainable* d) {
    live_.erase(d);
    if (live_.empty() && on_empty_) {
      auto cb = std::move(on_empty_);
      on_empty_ = nullptr;
      cb();
    }
  }
  bool draining() const noexcept { return draining_; }

  /// Calls `tick(now)` on every live connection; the worker calls it a few times a second.
  void tick(std::chrono::steady_clock::time_point now) {
    auto snapshot = live_;
    for (auto* d : snapshot) {
      if (live_.count(d) != 0) {
        d->tick(now);
      }
    }
  }
  std::size_t size() const noexcept { return live_.size(); }

  /// Drains every live connection and calls `on_empty` (once) when none is left.
  void drain(std::function<void()> on_empty) {
    draining_ = true;
    on_empty_ = std::move(on_empty);
    auto snapshot = live_;
    for (auto* d : snapshot) {
      d->drain();
    }
    if (live_.empty() && on_empty_) {
      auto cb = std::move(on_empty_);
      on_empty_ = nullptr;
      cb();
    }
  }

 private:
  std::unordered_set<Drainable*> live_;
  std::function<void()> on_empty_;
  bool draining_ = false;
};

}  // namespace meshd::transport
