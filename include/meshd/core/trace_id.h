#pragma once

#include <cstdint>
#include <optional>

namespace meshd {

/// A request's place in a distributed trace (Finagle's `TraceId`), carried in the request
/// context from the server to the clients. Plain data; the `trace` module reads and writes it
/// on the wire (`l5d-ctx-trace`, B3) and records spans.
struct TraceId {
  std::uint64_t trace_id = 0;              ///< the root's id (low 64 bits of a 128-bit id)
  std::uint64_t trace_id_high = 0;         ///< high 64 bits of a 128-bit trace id; 0 for 64-bit ids
  std::optional<std::uint64_t> parent_id;  ///< nullopt for a root span
  std::uint64_t span_id = 0;
  /// The sampling decision: nullopt while undecided (each tracer then decides for itself).
  std::optional<bool> sampled;
  bool debug = false;  ///< Finagle's Debug flag (forces sampling)

  friend bool operator==(const TraceId&, const TraceId&) = default;
};

}  // namespace meshd
