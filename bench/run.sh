#!/usr/bin/env bash
# Side-by-side HTTP/1.1 proxy benchmark on loopback: the same nginx backend measured directly,
# through meshd, through HAProxy and through nginx as a reverse proxy, in one run on one machine.
# Method and results: docs/benchmarks.md. Run by hand (`make bench`), never by `make test`.
#
# Environment (all optional):
#   MESHD=build/meshd        meshd binary; its column is skipped if missing or not starting
#   TARGETS="direct meshd haproxy nginx"
#   DURATION=10              seconds per measurement (throughput and each fixed rate)
#   CONNS=50 THREADS=2       wrk connections and threads for the throughput run
#   RATES="1000 5000"        fixed request rates (req/s) for the latency runs
#   RATE_CONNS=20            connections used by the fixed-rate load generator
#   MESHD_WORKERS=1          meshd `workers:`, one like the single-threaded HAProxy and nginx
#   PROXY_CPU, BACKEND_CPU, LOAD_CPU   CPU lists for taskset (defaults depend on nproc)
#   ROUNDS=5 ROUND_DURATION=5          interleaved throughput rounds after the table (0: none):
#                            every target stays up and they take turns, order rotated each
#                            round, so that a slow minute of a shared machine hits all of them;
#                            the report gives medians and the median of the per-round ratios
#   BENCH_DOC=docs/benchmarks.md       where the results are appended; BENCH_DOC= to skip
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MESHD=${MESHD:-$root/build/meshd}
TARGETS=${TARGETS:-direct meshd haproxy nginx}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
THREADS=${THREADS:-2}
RATES=${RATES:-1000 5000}
RATE_CONNS=${RATE_CONNS:-20}
MESHD_WORKERS=${MESHD_WORKERS:-1}
BENCH_DOC=${BENCH_DOC-$root/docs/benchmarks.md}
ROUNDS=${ROUNDS:-5}
ROUND_DURATION=${ROUND_DURATION:-5}
WARMUP=2

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

for tool in wrk h2load nginx haproxy curl python3 taskset; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool not found; install the bench tools with scripts/bootstrap.sh --bench (make bench does)"
done
[[ "$MESHD" == /* ]] || MESHD=$root/$MESHD

# shellcheck source=bench/rounds.sh
source "$root/bench/rounds.sh"

# --- CPU pinning -------------------------------------------------------------------------------
ncpu=$(nproc)
if ((ncpu >= 3)); then
  default_proxy=0 default_backend=1 default_load=2
elif ((ncpu == 2)); then
  default_proxy=0 default_backend=1 default_load=1
else
  default_proxy=0 default_backend=0 default_load=0
fi
PROXY_CPU=${PROXY_CPU:-$default_proxy}
BACKEND_CPU=${BACKEND_CPU:-$default_backend}
LOAD_CPU=${LOAD_CPU:-$default_load}
pinning="proxy on CPU $PROXY_CPU, backend nginx on CPU $BACKEND_CPU, load generators (wrk, h2load) on CPU $LOAD_CPU"
log "pinning: $pinning (taskset -c)"
loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${loadavg%% *}" 'BEGIN {exit !(l > 0.5)}'; then
  log "warning: load average $loadavg: other work on this machine will skew the numbers"
fi
((ncpu >= 3)) || log "warning: only $ncpu CPUs: the load generator shares a CPU with the backend"

# --- process bookkeeping ------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/meshd-bench.XXXXXX")
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$root/bench/results/$stamp
mkdir -p "$results"
pids=()

# stop_pid PID: SIGTERM, then SIGKILL after 3 s; reaps it and forgets it, so that cleanup never
# signals a recycled pid.
stop_pid() {
  local pid=$1 i kept=()
  if kill "$pid" 2>/dev/null; then
    for ((i = 0; i < 30; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for i in "${pids[@]}"; do
    [[ "$i" == "$pid" ]] || kept+=("$i")
  done
  pids=("${kept[@]}")
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    stop_pid "$pid"
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL PID: poll until URL answers 200 or PID dies; 10 s limit.
wait_http() {
  local url=$1 pid=$2 i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -sf -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  return 1
}

cpu_ticks() { # utime + stime of a whole process (all threads), in clock ticks
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }
  read -r -a f <<<"$rest"
  echo $((f[11] + f[12]))
}
peak_rss_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
clk_tck=$(getconf CLK_TCK)

# --- the backend --------------------------------------------------------------------------------
# shellcheck source=bench/nginx_common.sh
source "$root/bench/nginx_common.sh"

backend_port=$(free_port)
backend_dir=$work/backend
mkdir -p "$backend_dir"
{
  nginx_common "$backend_dir"
  echo "http {"
  nginx_http_common "$backend_dir"
  cat <<EOF
  server {
    listen 127.0.0.1:$backend_port;
    location / {
      default_type text/plain;
      return 200 "meshd benchmark backend: a small fixed response\n";
    }
  }
}
EOF
} >"$backend_dir/nginx.conf"
taskset -c "$BACKEND_CPU" nginx -p "$backend_dir" -c "$backend_dir/nginx.conf" -e "$backend_dir/error.log" &
backend_pid=$!
pids+=("$backend_pid")
wait_http "http://127.0.0.1:$backend_port/" "$backend_pid" ||
  die "backend nginx did not start: $(tail -5 "$backend_dir/error.log" 2>/dev/null)"
log "backend: nginx on 127.0.0.1:$backend_port (pid $backend_pid)"

# --- proxies: each start_* sets proxy_pid and proxy_url, or returns 1 with skip_reason ----------
skip_reason=""

start_direct() {
  proxy_pid=""
  proxy_url="http://127.0.0.1:$backend_port/"
}

start_meshd() {
  if [[ ! -x "$MESHD" ]]; then
    skip_reason="meshd binary not found at $MESHD (build it with 'make build')"
    return 1
  fi
  local dir=$work/meshd port admin
  mkdir -p "$dir"
  port=$(free_port)
  admin=$(free_port)
  cat >"$dir/config.yaml" <<EOF
admin:
  ip: 127.0.0.1
  port: $admin
routers:
- protocol: http
  label: bench
  dtab: |
    /svc => /\$/inet/127.0.0.1/$backend_port;
  servers:
  - ip: 127.0.0.1
    port: $port
usage:
  enabled: false
workers: $MESHD_WORKERS
EOF
  cp "$dir/config.yaml" "$results/meshd.yaml"
  taskset -c "$PROXY_CPU" "$MESHD" "$dir/config.yaml" >"$dir/meshd.log" 2>&1 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  proxy_url="http://127.0.0.1:$port/"
  local failed="" status
  if ! wait_http "http://127.0.0.1:$admin/admin/ping" "$proxy_pid"; then
    failed="did not answer /admin/ping within 10 s"
  elif ! status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$proxy_url") ||
    [[ "$status" != 200 ]]; then
    failed="did not proxy a test request (HTTP status ${status:-none})"
  fi
  if [[ -n "$failed" ]]; then
    sleep 0.2
    kill -0 "$proxy_pid" 2>/dev/null || failed+="; the process has exited"
    cp "$dir/meshd.log" "$results/meshd.log" 2>/dev/null || true
    skip_reason="meshd $failed; log in bench/results/$stamp/meshd.log, last lines: $(tail -2 "$dir/meshd.log" | tr '\n' ' ')"
    stop_pid "$proxy_pid"
    return 1
  fi
}

start_haproxy() {
  local dir=$work/haproxy port
  mkdir -p "$dir"
  port=$(free_port)
  cat >"$dir/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4000

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always

frontend bench
  bind 127.0.0.1:$port
  default_backend backend

backend backend
  server backend 127.0.0.1:$backend_port
EOF
  cp "$dir/haproxy.cfg" "$results/haproxy.cfg"
  taskset -c "$PROXY_CPU" haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
  proxy_pid=$!
  pids+=("$proxy_pid")
  proxy_url="http://127.0.0.1:$port/"
  if ! wait_http "$proxy_url" "$proxy_pid"; then
    skip_reason="haproxy did not start: $(tail -3 "$dir/haproxy.log" | tr '\n' ' ')"
    stop_pid "$proxy_pid"
    return 1
  fi
}

start_nginx() {
  local dir=$work/nginx-proxy port
  mkdir -p "$dir"
  port=$(free_port)
  {
    nginx_common "$dir"
    echo "http {"
    nginx_http_common "$dir"
    cat <<EOF
  upstream backend {
    server 127.0.0.1:$backend_port;
    keepalive 128;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
EOF
  } >"$dir/nginx.conf"
  cp "$dir/nginx.conf" "$results/nginx-proxy.conf"
  taskset -c "$PROXY_CPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
  proxy_pid=$!
  pids+=("$proxy_pid")
  proxy_url="http://127.0.0.1:$port/"
  if ! wait_http "$proxy_url" "$proxy_pid"; then
    skip_reason="nginx proxy did not start: $(tail -3 "$dir/error.log" | tr '\n' ' ')"
    stop_pid "$proxy_pid"
    return 1
  fi
}

# --- measurements -------------------------------------------------------------------------------
# wrk prints latencies as 123.45us / 1.23ms / 1.02s; convert to integer microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n; else if (v ~ /ms$/) n = n * 1000; else if (v ~ /s$/) n = n * 1000000
    printf "%d", n + 0.5 }'
}

# throughput NAME URL PID: sets tput_rps tput_p50 tput_p99 tput_cpu tput_errors
throughput() {
  local name=$1 url=$2 pid=$3 out=$results/$1-wrk.txt before=0 after=0 requests
  taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "$url" >/dev/null
  [[ -z "$pid" ]] || before=$(cpu_ticks "$pid")
  taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$url" >"$out"
  [[ -z "$pid" ]] || after=$(cpu_ticks "$pid")
  requests=$(awk '/requests in/ {print $1}' "$out")
  tput_rps=$(awk '/^Requests\/sec:/ {printf "%d", $2 + 0.5}' "$out")
  tput_p50=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
  tput_p99=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
  tput_errors=$(awk '/Socket errors:|Non-2xx/ {print}' "$out" | tr -s ' ' | paste -sd ';' -)
  tput_cpu="—"
  if [[ -n "$pid" && "${requests:-0}" -gt 0 ]]; then
    tput_cpu=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v n="$requests" \
      'BEGIN {printf "%.1f", t / hz * 1000 / n * 10000}')
  fi
  log "$name: throughput ${tput_rps} req/s, p50 ${tput_p50}us, p99 ${tput_p99}us${tput_errors:+, $tput_errors}"
}

# fixed_rate NAME URL PID RATE: prints "p50 p99 achieved cpu_ms_per_10k errors" (one line).
# No h2load warm-up here: the throughput run has warmed the proxy, and without it every logged
# request falls inside the CPU-time window.
fixed_rate() {
  local name=$1 url=$2 pid=$3 rate=$4 conns=$RATE_CONNS per_client before="" after="" out logf
  ((rate >= conns)) || conns=$rate
  per_client=$((rate / conns))
  out=$results/$name-h2load-$rate.txt
  logf=$work/$name-$rate.tsv
  [[ -z "$pid" ]] || before=$(cpu_ticks "$pid")
  if ! taskset -c "$LOAD_CPU" h2load --h1 -t1 -c"$conns" --rps="$per_client" -D "$DURATION" \
    --log-file="$logf" "$url" >"$out" 2>&1; then
    log "$name: h2load failed at $rate/s: $(tail -2 "$out" | tr '\n' ' ')"
    echo "- - 0 — -1"
    return 0
  fi
  [[ -z "$pid" ]] || after=$(cpu_ticks "$pid")
  python3 - "$logf" "$DURATION" "$rate" "${after:-0}" "${before:-0}" "$clk_tck" "${pid:+yes}" <<'EOF'
import sys
path, duration, rate, after, before, hz, has_pid = sys.argv[1:8]
lat, errors = [], 0
with open(path) as f:
    for line in f:
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        lat.append(int(parts[2]))
        if not parts[1].startswith("2"):
            errors += 1
lat.sort()
def pct(p):
    return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else 0
achieved = len(lat) / float(duration)
cpu = "—"
if has_pid == "yes" and lat:
    cpu = "%.1f" % ((int(after) - int(before)) / int(hz) * 1000 / len(lat) * 10000)
print(pct(50), pct(99), int(achieved + 0.5), cpu, errors)
EOF
}

# --- run ----------------------------------------------------------------------------------------
read -r -a rate_list <<<"$RATES"
declare -A row
direct_rps=""
notes=()
for target in $TARGETS; do
  skip_reason=""
  proxy_pid=""
  if ! "start_$target"; then
    log "$target: SKIPPED: $skip_reason"
    notes+=("$target skipped: $skip_reason")
    row[$target]="| $target | skipped |$(printf ' |%.0s' $(seq $((${#rate_list[@]} + 6))))"
    continue
  fi
  log "$target: measuring $proxy_url${proxy_pid:+ (pid $proxy_pid)}"
  throughput "$target" "$proxy_url" "$proxy_pid"
  [[ "$target" == direct ]] && direct_rps=$tput_rps
  ratio="—"
  if [[ -n "$direct_rps" && "$direct_rps" -gt 0 ]]; then
    ratio=$(awk -v a="$tput_rps" -v b="$direct_rps" 'BEGIN {printf "%.2f", a / b}')
  fi
  [[ -z "$tput_errors" ]] || notes+=("$target throughput run: $tput_errors")
  cells="| $target | $tput_rps | $ratio | $tput_p50 | $tput_p99 "
  cpu_at_rate="—"
  for rate in $RATES; do
    read -r p50 p99 achieved cpu errors < <(fixed_rate "$target" "$proxy_url" "$proxy_pid" "$rate")
    log "$target: ${rate}/s: achieved ${achieved}/s, p50 ${p50}us, p99 ${p99}us, non-2xx $errors"
    mark=""
    if ((achieved * 100 < rate * 95)); then
      mark="*"
      notes+=("$target at $rate/s: only $achieved req/s were completed (marked *)")
    fi
    if ((errors < 0)); then
      notes+=("$target at $rate/s: h2load failed, see bench/results/$stamp/$target-h2load-$rate.txt")
    elif ((errors > 0)); then
      notes+=("$target at $rate/s: $errors non-2xx responses")
    fi
    cells+="| $p50$mark / $p99$mark "
    cpu_at_rate=$cpu
  done
  rss="—"
  [[ -z "$proxy_pid" ]] || rss=$(awk -v k="$(peak_rss_kb "$proxy_pid")" 'BEGIN {printf "%.1f", k / 1024}')
  row[$target]="$cells| $rss | $tput_cpu | $cpu_at_rate |"
  [[ -z "$proxy_pid" ]] || stop_pid "$proxy_pid"
done

# --- interleaved rounds -------------------------------------------------------------------------
# One long measurement per target is at the mercy of whatever else the machine does during it.
# Here every target runs at once (idle but for its turn) and they take turns for ROUNDS rounds.
rounds_table=""
if ((ROUNDS > 0)); then
  declare -A round_url round_pid
  round_targets=()
  for target in $TARGETS; do
    skip_reason=""
    proxy_pid=""
    if "start_$target"; then
      round_url[$target]=$proxy_url
      round_pid[$target]=$proxy_pid
      round_targets+=("$target")
      taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" "$proxy_url" >/dev/null
    fi
  done
  measure_turn() { # ROUND TARGET URL
    local out=$results/round-$1-$2-wrk.txt
    taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNS" -d"${ROUND_DURATION}s" "$3" >"$out"
    echo "$(awk '/^Requests\/sec:/ {printf "%d", $2 + 0.5}' "$out") $(awk '/requests in/ {print $1}' "$out")"
  }
  rounds_tsv=$results/rounds.tsv
  run_rounds "$rounds_tsv"
  for target in "${round_targets[@]}"; do
    [[ -z "${round_pid[$target]}" ]] || stop_pid "${round_pid[$target]}"
  done
  rounds_table=$(python3 "$root/bench/rounds.py" "$rounds_tsv" "$clk_tck" \
    "Interleaved: $ROUNDS rounds of \`wrk -t$THREADS -c$CONNS -d${ROUND_DURATION}s\` per target, all targets up at once, order rotated each round.")
fi

# --- report -------------------------------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
last_rate=${RATES##* }
report=$results/report.md
{
  echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — $(hostname)"
  echo
  echo "- Machine: ${cpu_model:-unknown CPU}, nproc $ncpu, $(awk '/^MemTotal:/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
  echo "- Tools: $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}'), $(h2load --version 2>&1 | head -1), $(haproxy -v 2>&1 | head -1 | awk '{print "HAProxy", $3}'), $(nginx -v 2>&1 | sed 's/.*: //'), meshd: $([[ -x "$MESHD" ]] && "$MESHD" version 2>/dev/null | head -1 || echo 'not built')"
  echo "- Pinning: $pinning; load average before the run: $loadavg"
  echo "- Throughput: \`wrk -t$THREADS -c$CONNS -d${DURATION}s --latency\` after a ${WARMUP}s warm-up; fixed rates: \`h2load --h1 -t1 -c$RATE_CONNS --rps=RATE/$RATE_CONNS -D $DURATION\` right after it"
  echo
  printf '| target | req/s | vs direct | p50 µs | p99 µs |'
  for rate in $RATES; do printf ' %s/s p50 / p99 µs |' "$rate"; done
  echo ' peak RSS MB | CPU ms / 10k req (max load) | CPU ms / 10k req (at '"$last_rate"'/s) |'
  printf '%s' '|---|---:|---:|---:|---:|'
  for _ in $RATES; do printf '%s' '---:|'; done
  echo '---:|---:|---:|'
  for target in $TARGETS; do
    echo "${row[$target]}"
  done
  echo
  if ((${#notes[@]} > 0)); then
    for note in "${notes[@]}"; do
      echo "- Note: $note"
    done
    echo
  fi
  if [[ -n "$rounds_table" ]]; then
    echo "$rounds_table"
    echo
  fi
} >"$report"

cat "$report"
log "raw outputs and configs: ${results#"$root"/}"
if [[ -n "$BENCH_DOC" ]]; then
  { echo; cat "$report"; } >>"$BENCH_DOC"
  log "appended the table to ${BENCH_DOC#"$root"/}"
fi
