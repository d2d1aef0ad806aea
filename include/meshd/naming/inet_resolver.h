#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace meshd::naming {

/// Tuning of `InetResolver` (outside the class so `= {}` defaults work with GCC).
struct InetResolverOptions {
  /// How often every cached hostname is resolved again.
  std::chrono::milliseconds refresh_interval{std::chrono::seconds(5)};
  /// Cache bound; when full, the host requested longest ago is forgotten.
  std::size_t max_hosts = 4096;
};

/// Resolves hostnames for namers asynchronously on the control `io_context`, caches the answers
/// and re-resolves every cached host periodically (Finagle's InetResolver polling). Lookups are
/// lock-free snapshot reads, so workers may call `lookup` and never block on DNS.
class InetResolver {
 public:
  /// Tuning.
  using Options = InetResolverOptions;

  /// The answer for one host.
  struct HostAddrs {
    /// Pending: not resolved yet; Ok: `ips` (possibly empty); Neg: no such host; Failed: the
    /// resolver failed with `failure` and never succeeded before.
    enum class State { Pending, Ok, Neg, Failed };
    /// The state.
    State state = State::Pending;
    /// Numeric addresses (`10.0.0.1`, `::1`), sorted, when Ok.
    std::vector<std::string> ips;
    /// Resolver error text when Failed.
    std::string failure;
    /// Field-wise equality.
    bool operator==(const HostAddrs&) const = default;
  };
  /// Shared immutable answer.
  using HostAddrsConstSharedPtr = std::shared_ptr<const HostAddrs>;

  /// Creates a resolver whose work runs on `control`, which must outlive it.
  static std::shared_ptr<InetResolver> create(boost::asio::io_context& control,
                                              Options options = {});

  /// The current answer for `host`. An IP literal is answered at once; a hostname not yet
  /// cached is answered Pending and its resolution is posted to the control thread (which bumps
  /// `naming::generation()` when the answer arrives or changes). Thread-safe, non-blocking.
  HostAddrsConstSharedPtr lookup(const std::string& host) const;

  /// Stops refreshing and cancels outstanding resolutions. Run on the control thread.
  void stop();

  /// True if `host` is an IPv4 or IPv6 literal in canonical-enough form (`10.0.0.1`, `::1`).
  static bool is_ip_literal(const std::string& host);

  /// Like `create`. Destroy on the control thread (or once it has stopped running).
  InetResolver(boost::asio::io_context& control, Options options);
  ~InetResolver();
  InetResolver(const InetResolver&) = delete;
  InetResolver& operator=(const InetResolver&) = delete;

 private:
  struct Impl;
  // Shared with the completion handlers on the control thread, which hold it weakly.
  std::shared_ptr<Impl> impl_;
};

/// Shared ownership of a resolver (the global namer and every `io.l5d.fs` namer share one).
using InetResolverSharedPtr = std::shared_ptr<InetResolver>;

}  // namespace meshd::naming
