#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "meshd/dtab/path.h"

namespace meshd::dtab {

/// One endpoint of a bound name. Plain data so the dtab module stays free of I/O.
struct Address {
  /// An IP literal (`10.0.0.1`, `::1`); namers resolve hostnames before building this.
  std::string host;
  /// TCP port, 1–65535.
  std::uint16_t port = 0;
  /// Endpoint metadata (e.g. `nodeName` from Kubernetes), in insertion order.
  std::vector<std::pair<std::string, std::string>> meta;
  /// Relative endpoint weight for the balancer (Finagle `WeightedAddress`; `io.l5d.fs`
  /// `host port * weight`); 1.0 unless a namer says otherwise.
  double weight = 1.0;
  /// Field-wise equality.
  bool operator==(const Address&) const = default;
};

/// The current address set of a bound name (Finagle `Addr`).
struct Addr {
  /// Bound: `addresses` is the set (possibly empty); Neg: the name does not exist; Pending: not
  /// known yet; Failed: discovery failed with `failure`.
  enum class Kind { Bound, Neg, Pending, Failed };
  /// The state.
  Kind kind = Kind::Pending;
  /// The endpoints when `kind == Kind::Bound`.
  std::vector<Address> addresses;
  /// Why discovery failed when `kind == Kind::Failed`.
  std::string failure;

  /// A bound address set.
  static Addr bound(std::vector<Address> addresses) {
    return {Kind::Bound, std::move(addresses), {}};
  }
  /// A failed address set carrying `message`.
  static Addr failed(std::string message) { return {Kind::Failed, {}, std::move(message)}; }
  /// Field-wise equality.
  bool operator==(const Addr&) const = default;
};

/// Shared immutable address snapshot.
using AddrConstSharedPtr = std::shared_ptr<const Addr>;

/// A name a namer has bound (Finagle `Name.Bound`). Equality compares `id` only, as Finagle does:
/// the client cache is keyed by id.
struct BoundName {
  /// The client identity, e.g. `/#/io.l5d.fs/web` or `/$/inet/127.0.0.1/8080`.
  Path id;
  /// The part of the looked-up path the namer did not consume (Linkerd `l5d-dst-residual`).
  Path residual;
  /// The address snapshot at bind time; never null once bound by a namer.
  AddrConstSharedPtr addr;
  /// The innermost enclosing union weight (Finagle `namer_nametree_weight`); 1.0 outside unions.
  double weight = 1.0;

  /// Equal when the ids are equal.
  bool operator==(const BoundName& other) const { return id == other.id; }
  /// `id.show()`.
  std::string show() const { return id.show(); }
};

/// A name: an unbound path to delegate further, or a bound name (Finagle `Name`).
struct Name {
  /// The alternative held.
  std::variant<Path, BoundName> value;

  /// An unbound path (implicit, like Finagle's `Name.Path`).
  Name(Path path) : value(std::move(path)) {}  // NOLINT(google-explicit-constructor)
  /// A bound name (implicit).
  Name(BoundName bound) : value(std::move(bound)) {}  // NOLINT(google-explicit-constructor)

  /// The path, or null if bound.
  const Path* as_path() const { return std::get_if<Path>(&value); }
  /// The bound name, or null if a path.
  const BoundName* as_bound() const { return std::get_if<BoundName>(&value); }
  /// The path's `show`, or the bound id's `show`.
  std::string show() const { return as_path() ? as_path()->show() : as_bound()->show(); }
  /// Same alternative and equal (bound names by id).
  bool operator==(const Name&) const = default;
};

}  // namespace meshd::dtab
