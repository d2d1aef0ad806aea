#!/usr/bin/env bash
# Builds a profile-guided Release meshd (`make pgo`): configures BUILD_DIR with MESHD_PGO=GENERATE,
# builds meshd, trains it, then builds it again in the same directory with MESHD_PGO=USE.
#
#   scripts/pgo.sh [BUILD_DIR]          (default build-pgo; the result is BUILD_DIR/meshd)
#
# Training: one meshd worker proxies, on loopback, to an nginx backend. First HTTP/1.1 (wrk,
# keep-alive GETs through an http router), then h2c (h2load GETs, then POSTs with a 4 KiB body,
# through an h2 router), TRAIN_SECONDS each (default 5). GCC's profiles count how often code
# runs, not how long it takes, so the load's speed does not matter; its mix does.
# Needs nginx (scripts/bootstrap.sh --bench), wrk and h2load (scripts/bootstrap.sh).
# Environment: JOBS (build parallelism, nproc), CMAKE_ARGS (extra -D options), TRAIN_SECONDS.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$(realpath -m "${1:-$root/build-pgo}")
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
seconds=${TRAIN_SECONDS:-5}
profile=$dir/pgo-profile
# shellcheck disable=SC2206 # CMAKE_ARGS holds several -D options, split on spaces
extra=(${CMAKE_ARGS:-})

log() { printf 'pgo: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "TRAIN_SECONDS '$seconds' is not a whole number of seconds"
for tool in cmake nginx wrk h2load curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: scripts/bootstrap.sh --bench"
done

configure_and_build() { # MODE
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DMESHD_BUILD_TESTS=OFF \
    -DMESHD_PGO="$1" -DMESHD_PGO_DIR="$profile" "${extra[@]}" >/dev/null
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL cmake --build "$dir" -j"$jobs" --target meshd
}

work=$(mktemp -d "${TMPDIR:-/tmp}/meshd-pgo.XXXXXX")
# The background jobs (nginx, meshd) end with the script, whichever way it ends.
trap 'kill $(jobs -p) 2>/dev/null || true; wait; rm -rf "$work"' EXIT
answers() { # CURL_ARGS...: true once the URL answers; curl retries for up to 10 s
  curl -sf -o /dev/null --retry 20 --retry-delay 1 --retry-connrefused --retry-max-time 10 \
    --max-time 12 "$@"
}

log "building the instrumented meshd in $dir"
configure_and_build GENERATE
rm -rf "$profile"

# Loopback ports the OS has free: both backends, both routers, the admin server.
read -r h1_backend h2_backend h1_port h2_port admin_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$h1_backend;
    location / { default_type text/plain; return 200 "meshd training backend\\n"; }
  }
  server {
    listen 127.0.0.1:$h2_backend http2;
    location / { default_type text/plain; return 200 "meshd training backend\\n"; }
  }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
answers "http://127.0.0.1:$h1_backend/" || die "the nginx backend did not start"

cat >"$work/meshd.yaml" <<EOF
admin: {ip: 127.0.0.1, port: $admin_port}
workers: 1
usage: {enabled: false}
routers:
- protocol: http
  label: train-http
  dtab: /svc => /\$/inet/127.0.0.1/$h1_backend;
  servers: [{ip: 127.0.0.1, port: $h1_port}]
- protocol: h2
  label: train-h2
  dtab: /svc => /\$/inet/127.0.0.1/$h2_backend;
  servers: [{ip: 127.0.0.1, port: $h2_port}]
EOF
"$dir/meshd" "$work/meshd.yaml" 2>"$work/meshd.log" &
meshd_pid=$!
answers "http://127.0.0.1:$h1_port/" ||
  die "the instrumented meshd did not start: $(tail -n 5 "$work/meshd.log")"
answers --http2-prior-knowledge "http://127.0.0.1:$h2_port/" ||
  die "the instrumented meshd's h2 router did not answer"

train() { # WHAT COMMAND...: runs a load, prints its summary, fails when it did
  local what=$1
  shift
  log "training: $what for ${seconds}s"
  "$@" >"$work/load.out" 2>&1 || die "$what failed: $(tail -n 5 "$work/load.out")"
  grep -E '^requests:|Requests/sec|Non-2xx|Socket errors' "$work/load.out" >&2 || true
}
train "HTTP/1.1 GETs" wrk -t1 -c50 -d"${seconds}s" "http://127.0.0.1:$h1_port/"
train "h2c GETs" h2load -t1 -c50 -m10 -D "$seconds" "http://127.0.0.1:$h2_port/"
head -c 4096 /dev/zero | tr '\0' 'x' >"$work/body"
train "h2c POSTs" h2load -t1 -c20 -m10 -D "$seconds" -d "$work/body" "http://127.0.0.1:$h2_port/"

# The profile is written when meshd exits normally: SIGTERM drains it.
kill -TERM "$meshd_pid"
wait "$meshd_pid" ||
  die "the instrumented meshd did not exit cleanly: $(tail -n 5 "$work/meshd.log")"
count=0
if [[ -d "$profile" ]]; then
  count=$(find "$profile" -name '*.gcda' | wc -l)
fi
((count > 0)) || die "training wrote no profile to $profile"
log "profile: $count files in $profile"

log "building the optimised meshd in $dir"
configure_and_build USE
log "done: $dir/meshd"
