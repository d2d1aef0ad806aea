#!/usr/bin/env bash
# Load balancers side by side, as in Finagle's "beyond round robin" experiment: ten backends,
# one of them 50 ms slower (then one answering 10 % of requests with 500), the same closed-loop
# wrk load through meshd with client.loadBalancer roundRobin, p2c and ewma in turn. Reports p50,
# p99 and success per balancer. Method and results: docs/benchmarks.md. Run by hand.
#
# Environment (all optional):
#   MESHD=build/meshd   DURATION=10 (seconds per run)   CONNS=20   THREADS=2
#   KINDS="roundRobin p2c ewma"   SCENARIOS="slow failing"   MESHD_WORKERS=1
#   BENCH_DOC=docs/benchmarks.md  (results appended there; BENCH_DOC= to skip)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHD=${MESHD:-$root/build/meshd}
DURATION=${DURATION:-10}
CONNS=${CONNS:-20}
THREADS=${THREADS:-2}
KINDS=${KINDS:-roundRobin p2c ewma}
SCENARIOS=${SCENARIOS:-slow failing}
MESHD_WORKERS=${MESHD_WORKERS:-1}
BENCH_DOC=${BENCH_DOC-$root/docs/benchmarks.md}
[[ "$MESHD" == /* ]] || MESHD=$root/$MESHD

log() { printf 'bench: %s\n' "$*" >&2; }
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { log "$tool not found (scripts/bootstrap.sh --bench)"; exit 1; }
done
[[ -x "$MESHD" ]] || { log "meshd not found at $MESHD (make build)"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts the ten backends for a scenario; sets $ports.
start_backends() {
  local args=("$@")
  python3 "$root/bench/lb_backend.py" --count 10 "${args[@]}" <"$work/hold" >"$work/ports" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q '^ports' "$work/ports" 2>/dev/null && break
    sleep 0.05
  done
  ports=$(sed -n 's/^ports //p' "$work/ports")
  [[ -n "$ports" ]] || { log "backends did not start"; exit 1; }
}

# Runs meshd with balancer $1 over $ports; prints "p50_ms p99_ms requests non2xx".
measure() {
  local kind=$1 disco="$work/disco"
  mkdir -p "$disco"
  : >"$disco/bench"
  for p in $ports; do echo "127.0.0.1 $p" >>"$disco/bench"; done
  cat >"$work/meshd.yaml" <<YAML
admin: {ip: 127.0.0.1, port: 0}
workers: $MESHD_WORKERS
routers:
- protocol: http
  label: bench
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    loadBalancer: {kind: $kind}
namers:
- kind: io.l5d.fs
  rootDir: $disco
YAML
  "$MESHD" "$work/meshd.yaml" 2>"$work/meshd.log" &
  local mpid=$!
  local port=""
  for _ in $(seq 200); do
    port=$(sed -n 's/.*router listening router=bench addr=[^ ]*:\([0-9]*\).*/\1/p' "$work/meshd.log" |
      head -1)
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  [[ -n "$port" ]] || { log "meshd did not start: $(cat "$work/meshd.log")"; exit 1; }
  # Warm up (connections, latency estimates), then measure.
  wrk -t"$THREADS" -c"$CONNS" -d2s -H "Host: bench" "http://127.0.0.1:$port/" >/dev/null
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -H "Host: bench" \
    "http://127.0.0.1:$port/" >"$work/wrk.out"
  kill "$mpid"
  wait "$mpid" 2>/dev/null || true
  python3 - "$work/wrk.out" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s%%\s+([0-9.]+)(us|ms|s)\s*$" % label, text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
req = int(re.search(r"([0-9]+) requests in", text).group(1))
m = re.search(r"Non-2xx or 3xx responses: ([0-9]+)", text)
bad = int(m.group(1)) if m else 0
print("%.2f %.2f %d %d" % (ms("50"), ms("99"), req, bad))
PY
}

mkfifo "$work/hold"
exec 3<>"$work/hold"  # keeps the backends' stdin open until we exit
stamp=$(date -u +%Y-%m-%dT%H:%MZ)
report="| scenario | balancer | p50 ms | p99 ms | success | requests |\n|---|---|---|---|---|---|\n"
declare -A p99
for scenario in $SCENARIOS; do
  case $scenario in
    slow) start_backends --slow 0 --slow-ms 50 ;;
    failing) start_backends --failing 0 --error-rate 0.1 ;;
    *) log "unknown scenario $scenario"; exit 1 ;;
  esac
  for kind in $KINDS; do
    read -r p50 p99v req bad < <(measure "$kind")
    p99[$scenario.$kind]=$p99v
    success=$(python3 -c "print('%.2f %%' % (100.0 * (1 - $bad / max($req, 1))))")
    log "$scenario $kind: p50 ${p50} ms, p99 ${p99v} ms, success $success over $req requests"
    report+="| $scenario | $kind | $p50 | $p99v | $success | $req |\n"
  done
  kill "${pids[-1]}" 2>/dev/null || true
done
ratio=""
if [[ -n "${p99[slow.roundRobin]:-}" && -n "${p99[slow.ewma]:-}" ]]; then
  ratio=$(python3 -c "print('%.1f' % (${p99[slow.roundRobin]} / max(${p99[slow.ewma]}, 0.001)))")
  log "one slow backend: roundRobin p99 / ewma p99 = ${ratio}x (target >= 5x)"
fi
printf "%b" "$report"
if [[ -n "$BENCH_DOC" ]]; then
  {
    printf '\n### %s — balancers (bench/balancers.sh, %s s per run, %s connections, workers %s)\n\n' \
      "$stamp" "$DURATION" "$CONNS" "$MESHD_WORKERS"
    printf "%b" "$report"
    [[ -n "$ratio" ]] && printf '\nroundRobin p99 / ewma p99 with one slow backend: **%sx** (target ≥ 5x)\n' "$ratio"
  } >>"$BENCH_DOC"
fi
