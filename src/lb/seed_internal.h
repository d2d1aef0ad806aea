#pragma once

#include <cstdint>
#include <random>

namespace meshd::lb {

/// A `std::minstd_rand` seed from a 64-bit one. The engine keeps only the seed modulo 2^31 - 1,
/// so nearby seeds (0, 1, 2: one per node) would start nearly the same sequence; SplitMix64's
/// finaliser spreads every input bit over the result first.
inline std::minstd_rand::result_type mix_seed(std::uint64_t seed) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<std::minstd_rand::result_type>(z);
}

}  // namespace meshd::lb
