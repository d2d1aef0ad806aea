#pragma once

#include <cstdint>

namespace meshd::naming {

/// A process-wide counter that moves whenever any namer's published state changes (a file of
/// `io.l5d.fs` changed, a hostname resolved to new addresses). Workers cache bind results keyed
/// by it and re-bind when it moves. Thread-safe and lock-free; the value itself is meaningless.
std::uint64_t generation() noexcept;

/// Advances `generation()`. Called by namers on the control thread *after* publishing their new
/// snapshot (release order, so a worker that sees the new generation also sees the snapshot).
void bump_generation() noexcept;

}  // namespace meshd::naming
