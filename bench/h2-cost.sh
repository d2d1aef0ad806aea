#!/usr/bin/env bash
# What one proxied HTTP/2 request costs each proxy, counted rather than timed: every target runs
# under callgrind with its cache model while h2load sends REQUESTS h2c GETs through it to an
# nginx h2c backend (after WARMUP requests not counted). Per request: instructions executed,
# level-1 instruction and data cache misses, and last-level misses; then where the
# instructions ran (the proxy's own code, libnghttp2, the C library and allocator). The
# counts do not depend on what else the machine runs: instructions and level-1 misses repeat
# to about 1 % from run to run, so two builds, or meshd and nghttpx, compare where
# bench/h2.sh's clock cannot (a busy host moves it by 10 % from one minute to the next).
# Last-level misses repeat less well (one meshd binary: 150 to 185 per request in eight runs),
# because how many requests each read brings varies and with it what stays in the modelled
# cache; RUNS=3 or more gives their median and range. A counted cost is not a rate: a cache
# miss costs what the host's memory makes it cost. Run by hand (`make bench-h2-cost`), never
# by `make test`; results appended to docs/benchmarks.md.
#
# Environment (all optional):
#   MESHD=build/meshd   MESHD_BASE= (a second meshd build, as target meshd_base)
#   TARGETS="meshd nghttpx" (meshd_base added when MESHD_BASE is set)
#   REQUESTS=20000 WARMUP=5000 CLIENTS=50 STREAMS=10
#   RUNS=1              runs per target, in turns; with more than one, each cell is the median
#                       and the last-level column also gives the range (min–max)
#   L1 caches: valgrind's (the host's, as it reads them); LL=1048576,16,64 (this host's L2)
#   BENCH_DOC=docs/benchmarks.md   where the table is appended; BENCH_DOC= to skip
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/h2_common.sh
source "$root/bench/h2_common.sh"
MESHD=$(from_root "${MESHD:-build/meshd}")
MESHD_BASE=$(from_root "${MESHD_BASE:-}")
TARGETS=${TARGETS:-meshd${MESHD_BASE:+ meshd_base} nghttpx}
REQUESTS=${REQUESTS:-20000}
WARMUP=${WARMUP:-5000}
CLIENTS=${CLIENTS:-50}
STREAMS=${STREAMS:-10}
RUNS=${RUNS:-1}
LL=${LL:-1048576,16,64}
BACKEND_CPU=${BACKEND_CPU:-1}
BENCH_DOC=${BENCH_DOC-$root/docs/benchmarks.md}

log() { printf 'bench-h2-cost: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
for n in REQUESTS WARMUP CLIENTS STREAMS RUNS; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || die "$n=${!n} is not a positive number"
done
for tool in valgrind callgrind_control callgrind_annotate h2load nghttpx nginx curl python3 taskset; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: scripts/bootstrap.sh --bench"
done
[[ -x "$MESHD" ]] || die "MESHD $MESHD is not executable (make build)"
[[ -z "$MESHD_BASE" || -x "$MESHD_BASE" ]] || die "MESHD_BASE $MESHD_BASE is not executable"

scratch meshd-bench-h2-cost
WAIT_TRIES=600 # a proxy under valgrind takes seconds to start

start_backend

# start_<target> starts the proxy under callgrind (instrumentation off) on port $1.
callgrind() { # OUT COMMAND...
  local out=$1
  shift
  valgrind --tool=callgrind --instr-atstart=no --cache-sim=yes --LL="$LL" \
    --callgrind-out-file="$out" "$@" 2>"$out.log" &
}
start_meshd() { start_meshd_build "$MESHD" "$@"; }
start_meshd_base() { start_meshd_build "$MESHD_BASE" "$@"; }
start_meshd_build() { # BINARY PORT OUT
  local dir
  dir=$(dirname "$3")
  meshd_config "$2" >"$dir/config.yaml"
  callgrind "$3" "$1" "$dir/config.yaml"
}
start_nghttpx() { # PORT OUT
  # One process (no forked worker), so that callgrind counts the one serving.
  callgrind "$2" nghttpx --conf=/dev/null --workers=1 --single-process --no-ocsp --no-via \
    --frontend="127.0.0.1,$1;no-tls" --backend="127.0.0.1,$backend_port;;proto=h2" \
    --errorlog-file="$(dirname "$2")/nghttpx.log"
}

# Per request: the PROGRAM TOTALS of every event, then the instructions by object file.
summarise() { # OUT N
  callgrind_annotate --inclusive=no --threshold=100 "$1" 2>/dev/null | python3 -c '
import re, sys
n = float(sys.argv[1])
events = totals = None
objects = {}
for line in sys.stdin:
    if line.startswith("Events shown:"):
        events = line.split(":", 1)[1].split()
    elif "PROGRAM TOTALS" in line:
        totals = [int(x.replace(",", "")) for x in re.findall(r"([\d,]+)(?: \([^)]*\))?", line.split("PROGRAM")[0])]
    elif totals is not None:
        m = re.match(r"\s*([\d,]+)\s.*\[([^\]]+)\]\s*$", line)
        if m:
            obj = m.group(2).rsplit("/", 1)[-1]
            objects[obj] = objects.get(obj, 0) + int(m.group(1).replace(",", ""))
if not events or not totals:
    sys.exit("no totals in the callgrind output")
e = dict(zip(events, totals))
def own(o):
    if o.startswith("libnghttp2"): return "nghttp2"
    if o.startswith(("libc.", "libjemalloc", "libstdc++", "libm.", "ld-linux", "libgcc")): return "libc"
    return "other" if o.startswith("lib") else "own"
split = {}
for o, v in objects.items():
    split[own(o)] = split.get(own(o), 0) + v
print(" ".join(str(round(x / n)) for x in (
    e["Ir"], e["I1mr"], e["D1mr"] + e["D1mw"], e["ILmr"] + e["DLmr"] + e["DLmw"],
    split.get("own", 0), split.get("nghttp2", 0), split.get("libc", 0), split.get("other", 0))))
' "$2"
}

declare -A cost
measure() { # TARGET RUN: sets cost[TARGET,RUN]
  local t=$1 dir=$work/$1/$2 port pid url ok
  mkdir -p "$dir"
  port=$(free_port)
  "start_$t" "$port" "$dir/cg.out"
  pid=$!
  pids+=("$pid")
  url="http://127.0.0.1:$port/"
  wait_h2 "$url" "$pid" || die "$t did not start under valgrind (see $dir/cg.out.log)"
  h2load -c"$CLIENTS" -m"$STREAMS" -t1 -n"$WARMUP" "$url" >"$dir/warmup.txt" 2>&1 ||
    die "$t: warm-up failed: $(tail -3 "$dir/warmup.txt")"
  callgrind_control -i on "$pid" >/dev/null 2>&1
  h2load -c"$CLIENTS" -m"$STREAMS" -t1 -n"$REQUESTS" "$url" >"$dir/h2load.txt" 2>&1 ||
    die "$t: h2load failed: $(tail -3 "$dir/h2load.txt")"
  callgrind_control -i off "$pid" >/dev/null 2>&1
  ok=$(awk '/^requests:/ {print $8}' "$dir/h2load.txt")
  [[ "$ok" == "$REQUESTS" ]] || die "$t: $ok of $REQUESTS requests succeeded"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ -s "$dir/cg.out" ]] || die "$t: callgrind wrote no profile (see $dir/cg.out.log)"
  cost[$t,$2]=$(summarise "$dir/cg.out" "$REQUESTS")
  log "$t (run $2 of $RUNS): ${cost[$t,$2]}"
}
for ((run = 1; run <= RUNS; run++)); do
  for t in $TARGETS; do measure "$t" "$run"; done
done
# Per target: the median of each column over the runs, then the last-level misses' min and max.
for t in $TARGETS; do
  rows=""
  for ((run = 1; run <= RUNS; run++)); do rows+="${cost[$t,$run]}"$'\n'; done
  cost[$t]=$(printf '%s' "$rows" | python3 -c '
import statistics, sys
rows = [[int(x) for x in line.split()] for line in sys.stdin if line.strip()]
cols = list(zip(*rows))
print(" ".join(str(round(statistics.median(c))) for c in cols), min(cols[3]), max(cols[3]))
')
done

ref=nghttpx
[[ " $TARGETS " == *" $ref "* ]] || ref=""
table="| target | instructions | × nghttpx | L1i misses | × nghttpx | L1d misses | last-level misses | own code | libnghttp2 | libc, allocator | other |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in $TARGETS; do
  read -r ir i1 d1 ll own ng lc other ll_min ll_max <<<"${cost[$t]}"
  if ((RUNS > 1)); then ll="$ll ($ll_min–$ll_max)"; fi
  r_ir="—" r_i1="—"
  if [[ -n "$ref" ]]; then
    read -r ref_ir ref_i1 _ <<<"${cost[$ref]}"
    r_ir=$(awk -v a="$ir" -v b="$ref_ir" 'BEGIN {printf "%.2f", a / b}')
    r_i1=$(awk -v a="$i1" -v b="$ref_i1" 'BEGIN {printf "%.2f", a / b}')
  fi
  table+=$'\n'"| $t | $ir | $r_ir | $i1 | $r_i1 | $d1 | $ll | $own | $ng | $lc | $other |"
done
echo "$table"
if [[ -n "$BENCH_DOC" ]]; then
  {
    echo
    echo "### HTTP/2 cost per request, counted — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "bench/h2-cost.sh: callgrind with its cache model (L1 as valgrind reads this host's, last"
    echo "level $LL), one worker per proxy, \`h2load -c$CLIENTS -m$STREAMS -t1 -n$REQUESTS\` h2c GETs to an nginx h2c"
    echo "backend after $WARMUP not counted. Per request; the last four columns split the instructions."
    if ((RUNS > 1)); then
      echo "Medians of $RUNS runs per target, taken in turns; last-level misses with their range."
    fi
    if [[ -n "$MESHD_BASE" ]]; then
      echo "meshd_base: $(basename "$(dirname "$MESHD_BASE")")/$(basename "$MESHD_BASE")."
    fi
    echo
    echo "$table"
  } >>"$BENCH_DOC"
fi
