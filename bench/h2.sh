#!/usr/bin/env bash
# Side-by-side HTTP/2 proxy benchmark on loopback: h2load against the same h2c nginx backend
# directly, through meshd (h2 router), nghttpx, HAProxy (proto h2) and nginx (grpc_pass), in one
# run; then TLS handshakes per second (openssl s_time, new sessions) against each proxy's TLS
# listener. Results: docs/benchmarks.md. Run by hand (`make bench-h2`), never by `make test`.
#
# Environment (all optional):
#   MESHD=build/meshd   TARGETS="direct meshd nghttpx haproxy nginx"
#   DURATION=8          seconds per measurement
#   CLIENTS=50 STREAMS=10   h2load connections and concurrent streams per connection
#   PROXY_CPU=0 BACKEND_CPU=1 LOAD_CPU=1   taskset CPU lists
#   ROUNDS=5 ROUND_DURATION=5   interleaved rounds after the table (0: none): every target up at
#                       once, taking turns in rotated order; medians and per-round ratios
#   BUSY_CPU=           a CPU list to share with a busy neighbour (bench/busy.c: random writes
#                       over 256 MB) during the measurements, e.g. BUSY_CPU=0 for the proxies'
#                       CPU: a node whose applications keep the cores busy. Empty: none.
#   MESHD_BASE=         a second meshd build to compare with MESHD, e.g. the commit before a
#                       change: it runs as target `meshd_base`, in the table and in every round
#                       (rounds' "meshd ÷ target" column is then the change's own effect, measured
#                       in the same minutes). Not a proxy "vs best proxy" compares against.
#   BENCH_DOC=docs/benchmarks.md   where the table is appended; BENCH_DOC= to skip
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/h2_common.sh
source "$root/bench/h2_common.sh"
MESHD=$(from_root "${MESHD:-build/meshd}")
MESHD_BASE=$(from_root "${MESHD_BASE:-}")
if [[ -n "$MESHD_BASE" ]]; then
  [[ -x "$MESHD_BASE" ]] || { printf 'bench-h2: error: MESHD_BASE %s is not executable\n' "$MESHD_BASE" >&2; exit 1; }
  TARGETS=${TARGETS:-direct meshd meshd_base nghttpx haproxy nginx}
fi
TARGETS=${TARGETS:-direct meshd nghttpx haproxy nginx}
DURATION=${DURATION:-8}
CLIENTS=${CLIENTS:-50}
STREAMS=${STREAMS:-10}
PROXY_CPU=${PROXY_CPU:-0}
BACKEND_CPU=${BACKEND_CPU:-1}
LOAD_CPU=${LOAD_CPU:-1}
BENCH_DOC=${BENCH_DOC-$root/docs/benchmarks.md}
ROUNDS=${ROUNDS:-5}
ROUND_DURATION=${ROUND_DURATION:-5}
BUSY_CPU=${BUSY_CPU:-}
BUSY_MB=${BUSY_MB:-256}
[[ "$BUSY_MB" =~ ^[0-9]+$ ]] || { printf 'bench-h2: error: BUSY_MB %s is not a number of megabytes\n' "$BUSY_MB" >&2; exit 1; }

log() { printf 'bench-h2: %s\n' "$*" >&2; }
# shellcheck source=bench/rounds.sh
source "$root/bench/rounds.sh"
die() { log "error: $*"; exit 1; }
for tool in h2load nghttpx haproxy nginx openssl curl python3 taskset cc; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: scripts/bootstrap.sh --bench"
done

scratch meshd-bench-h2

# A proxy and its children (nghttpx serves from a forked worker process).
tree() { echo "$1"; pgrep -P "$1" || true; }
cpu_user_sys() { # "utime stime" of the process tree, in clock ticks
  local p s user=0 sys=0
  for p in $(tree "$1"); do
    s=$(<"/proc/$p/stat") s=${s##*) }
    read -r -a f <<<"$s"
    user=$((user + f[11])) sys=$((sys + f[12]))
  done
  echo "$user $sys"
}
cpu_ticks() { # utime + stime of the process tree, in clock ticks
  local user sys
  read -r user sys <<<"$(cpu_user_sys "$1")"
  echo $((user + sys))
}
peak_rss_kb() { # of the process tree
  local p sum=0
  for p in $(tree "$1"); do sum=$((sum + $(awk '/^VmHWM:/ {print $2}' "/proc/$p/status"))); done
  echo "$sum"
}
clk_tck=$(getconf CLK_TCK)
wait_tls() { # PORT PID
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    openssl s_client -connect "127.0.0.1:$1" </dev/null >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

sh "$root/tests/unit/transport/gen_server_certs.sh" "$work/certs"
cert=$work/certs/server-ec.crt
key=$work/certs/server-ec.key
cat "$cert" "$key" >"$work/certs/server-ec.pem"

start_backend

# start_<target> sets proxy_pid, url (h2c) and tls_port (or "").
start_direct() { proxy_pid=""; url="http://127.0.0.1:$backend_port/"; tls_port=""; }
start_meshd() { start_meshd_build "$MESHD" meshd; }
start_meshd_base() { start_meshd_build "$MESHD_BASE" meshd_base; }
start_meshd_build() { # BINARY NAME
  local bin=$1 dir=$work/$2 port
  port=$(free_port) tls_port=$(free_port)
  mkdir -p "$dir"
  meshd_config "$port" "$tls_port" "$cert" "$key" >"$dir/config.yaml"
  taskset -c "$PROXY_CPU" "$bin" "$dir/config.yaml" 2>"$dir/stderr" &
  proxy_pid=$!
  url="http://127.0.0.1:$port/"
}
start_nghttpx() {
  local port
  port=$(free_port) tls_port=$(free_port)
  taskset -c "$PROXY_CPU" nghttpx --conf=/dev/null --workers=1 --no-ocsp --no-via \
    --frontend="127.0.0.1,$port;no-tls" --frontend="127.0.0.1,$tls_port" \
    --backend="127.0.0.1,$backend_port;;proto=h2" --errorlog-file="$work/nghttpx.log" \
    "$key" "$cert" &
  proxy_pid=$!
  url="http://127.0.0.1:$port/"
}
start_haproxy() {
  local port
  port=$(free_port) tls_port=$(free_port)
  cat >"$work/haproxy.cfg" <<EOF
global
  nbthread 1
  tune.ssl.default-dh-param 2048
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend h2c
  bind 127.0.0.1:$port proto h2
  bind 127.0.0.1:$tls_port ssl crt $work/certs/server-ec.pem alpn h2
  default_backend b
backend b
  server s 127.0.0.1:$backend_port proto h2
EOF
  taskset -c "$PROXY_CPU" haproxy -f "$work/haproxy.cfg" -db &
  proxy_pid=$!
  url="http://127.0.0.1:$port/"
}
start_nginx() {
  local port
  port=$(free_port) tls_port=$(free_port)
  nginx_conf "$work/nginx" "  server {
    listen 127.0.0.1:$port http2;
    listen 127.0.0.1:$tls_port ssl http2;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    location / { grpc_pass grpc://127.0.0.1:$backend_port; }
  }"
  taskset -c "$PROXY_CPU" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
  proxy_pid=$!
  url="http://127.0.0.1:$port/"
}

busy_what="random writes over $BUSY_MB MB"
[[ "$BUSY_MB" == 0 ]] && busy_what="computing only, no memory traffic"
if [[ -n "$BUSY_CPU" ]]; then
  cc -O2 -o "$work/busy" "$root/bench/busy.c" || die "bench/busy.c did not build"
  taskset -c "$BUSY_CPU" "$work/busy" "$BUSY_MB" &
  pids+=($!)
  log "busy neighbour on CPU $BUSY_CPU (bench/busy.c, $busy_what)"
fi

declare -A rps cpu rss hs
best_other=0
for t in $TARGETS; do
  "start_$t"
  [[ -z "$proxy_pid" ]] || { pids+=("$proxy_pid"); wait_h2 "$url" "$proxy_pid" || die "$t did not start"; }
  taskset -c "$LOAD_CPU" h2load -c"$CLIENTS" -m"$STREAMS" -t1 -D 2 "$url" >/dev/null 2>&1
  before=(0 0)
  [[ -z "$proxy_pid" ]] || read -r -a before <<<"$(cpu_user_sys "$proxy_pid")"
  out=$(taskset -c "$LOAD_CPU" h2load -c"$CLIENTS" -m"$STREAMS" -t1 -D "$DURATION" "$url" 2>&1)
  after=(0 0)
  [[ -z "$proxy_pid" ]] || read -r -a after <<<"$(cpu_user_sys "$proxy_pid")"
  done_n=$(awk '/^requests:/ {print $8}' <<<"$out")
  failed=$(awk '/^requests:/ {print $10}' <<<"$out")
  rps[$t]=$(awk '/^finished in/ {gsub(",", "", $4); printf "%d", $4}' <<<"$out")
  cpu[$t]="—"
  rss[$t]="—"
  hs[$t]="—"
  if [[ -n "$proxy_pid" ]]; then
    # Total, then user + system: a proxy's cost in its own code against its system calls.
    cpu[$t]=$(awk -v u=$((after[0] - before[0])) -v s=$((after[1] - before[1])) -v hz="$clk_tck" -v n="$done_n" \
      'BEGIN {k = 1000 / hz / n * 10000; printf "%.1f (%.1f + %.1f)", (u + s) * k, u * k, s * k}')
    rss[$t]=$(awk -v k="$(peak_rss_kb "$proxy_pid")" 'BEGIN {printf "%.1f", k / 1024}')
    if [[ -n "$tls_port" ]] && wait_tls "$tls_port" "$proxy_pid"; then
      hs[$t]=$(taskset -c "$LOAD_CPU" openssl s_time -connect "127.0.0.1:$tls_port" -new -time "$DURATION" 2>/dev/null |
        awk '/connections in [0-9.]+s;/ {split($4, a, "s"); printf "%d", $1 / a[1]; exit}')
    fi
    kill "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
  fi
  log "$t: ${rps[$t]} req/s (failed $failed), cpu/10k ${cpu[$t]} ms, peak RSS ${rss[$t]} MB, TLS handshakes/s ${hs[$t]}"
  if [[ "$t" != "direct" && "$t" != meshd* ]] && ((rps[$t] > best_other)); then best_other=${rps[$t]}; fi
done

table="| target | h2c req/s | vs best proxy | CPU ms / 10k req (user + system) | peak RSS MB | TLS handshakes/s (new) |
|---|---|---|---|---|---|"
for t in $TARGETS; do
  ratio="—"
  ((best_other > 0)) && ratio=$(awk -v a="${rps[$t]}" -v b="$best_other" 'BEGIN {printf "%.2f", a / b}')
  table+=$'\n'"| $t | ${rps[$t]} | $ratio | ${cpu[$t]} | ${rss[$t]} | ${hs[$t]} |"
done
echo "$table"

# Interleaved rounds: a single measurement per target is at the mercy of whatever else the
# machine does meanwhile; here all targets stay up and take turns.
rounds_table=""
if ((ROUNDS > 0)); then
  declare -A round_url round_pid
  round_targets=()
  for t in $TARGETS; do
    "start_$t"
    [[ -z "$proxy_pid" ]] || { pids+=("$proxy_pid"); wait_h2 "$url" "$proxy_pid" || die "$t did not start"; }
    round_url[$t]=$url
    round_pid[$t]=$proxy_pid
    round_targets+=("$t")
    taskset -c "$LOAD_CPU" h2load -c"$CLIENTS" -m"$STREAMS" -t1 -D 2 "$url" >/dev/null 2>&1
  done
  measure_turn() { # ROUND TARGET URL
    local out
    out=$(taskset -c "$LOAD_CPU" h2load -c"$CLIENTS" -m"$STREAMS" -t1 -D "$ROUND_DURATION" "$3" 2>&1)
    echo "$(awk '/^finished in/ {gsub(",", "", $4); printf "%d", $4}' <<<"$out") $(awk '/^requests:/ {print $8}' <<<"$out")"
  }
  rounds_tsv=$work/rounds.tsv
  run_rounds "$rounds_tsv"
  rounds_table=$(python3 "$root/bench/rounds.py" "$rounds_tsv" "$clk_tck" \
    "Interleaved: $ROUNDS rounds of \`h2load -c$CLIENTS -m$STREAMS -t1 -D $ROUND_DURATION\` per target, all targets up at once, order rotated each round.")
  echo
  echo "$rounds_table"
fi
if [[ -n "$BENCH_DOC" ]]; then
  {
    echo
    echo "### HTTP/2 (h2c) and TLS handshakes — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "h2load -c$CLIENTS -m$STREAMS -t1 for ${DURATION}s per target after a 2 s warm-up, against an"
    echo "nginx h2c backend; proxy on CPU $PROXY_CPU, backend and h2load on CPU $BACKEND_CPU/$LOAD_CPU"
    echo "(nproc $(nproc)); one worker/thread per proxy (CPU and RSS of the whole process tree: nghttpx serves"
    echo "from a forked worker). Handshakes: openssl s_time -new, EC P-256, full handshakes."
    if [[ -n "$BUSY_CPU" ]]; then
      echo "A busy neighbour (bench/busy.c: $busy_what) shares CPU $BUSY_CPU throughout."
    fi
    if [[ -n "$MESHD_BASE" ]]; then
      echo "meshd_base: a second meshd build, $(basename "$(dirname "$MESHD_BASE")")/$(basename "$MESHD_BASE"), for comparison."
    fi
    echo
    echo "$table"
    if [[ -n "$rounds_table" ]]; then
      echo
      echo "$rounds_table"
    fi
  } >>"$BENCH_DOC"
fi
