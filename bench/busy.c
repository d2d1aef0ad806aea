/* A neighbour that keeps a CPU and the memory system busy, for bench/h2.sh BUSY_CPU: random
 * read-modify-writes over a buffer of MB megabytes (default 256), forever. A proxy sharing its
 * CPU with it runs in time slices, with its caches emptied in between, as on a node whose
 * applications keep the cores busy. */
#include <stdint.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  size_t mb = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 256;
  size_t lines = (mb ? mb : 1) * 1024 * 1024 / 64;
  uint64_t* buf = malloc(lines * 64);
  if (buf == NULL) {
    return 1;
  }
  for (size_t i = 0; i < lines * 8; i++) {
    buf[i] = i;
  }
  uint64_t x = 88172645463325252ull; /* xorshift64 */
  for (;;) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    buf[(x % lines) * 8] += 1;
  }
}
