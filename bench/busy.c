/* A neighbour that keeps a CPU busy, for bench/h2.sh BUSY_CPU. With MB > 0 (default 256) it
 * also keeps the memory system busy: random read-modify-writes over a buffer of MB megabytes,
 * forever, so a proxy sharing its CPU runs in time slices with its caches emptied in between,
 * as on a node whose applications keep the cores busy. With MB 0 it only computes (no memory
 * traffic): the proxy still runs in time slices, with its caches left as they were, which
 * tells the cost of sharing the CPU from the cost of losing the caches. */
#include <stdint.h>
#include <stdlib.h>

/* Where the computing neighbour stores its numbers, so that the loop is not optimised away. */
volatile uint64_t busy_sink;

/* xorshift64's next number. */
static uint64_t next(uint64_t x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

int main(int argc, char** argv) {
  size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 256;
  uint64_t x = 88172645463325252ull;
  if (mb == 0) {
    for (;;) {
      x = next(x);
      busy_sink = x;
    }
  }
  size_t lines = mb * 1024 * 1024 / 64;
  uint64_t* buf = malloc(lines * 64);
  if (buf == NULL) {
    return 1;
  }
  for (size_t i = 0; i < lines * 8; i++) {
    buf[i] = i;
  }
  for (;;) {
    x = next(x);
    buf[(x % lines) * 8] += 1;
  }
}
