# shellcheck shell=bash disable=SC2154
# Helpers of the HTTP/2 benchmarks (bench/h2.sh, bench/h2-cost.sh), sourced by them: free
# ports, waiting for an h2c listener, nginx configurations and the nginx h2c backend. The
# caller defines `root`, `log`, `die` and BACKEND_CPU, and calls `scratch` first. Sourced; not run on
# its own.

# $1 as it is when empty or absolute, else under the repository ($root).
from_root() { if [[ -z "$1" || "$1" == /* ]]; then echo "$1"; else echo "$root/$1"; fi; }

# The config of the meshd under test: one worker, an h2 router to the backend, an h2c server on
# port $1 and, given $2, a TLS one there with certificate $3 and key $4.
meshd_config() { # PORT [TLS_PORT CERT KEY]
  cat <<EOF
admin: {ip: 127.0.0.1, port: $(free_port)}
workers: 1
routers:
- protocol: h2
  label: bench
  dtab: /svc => /\$/inet/127.0.0.1/$backend_port;
  servers:
  - {ip: 127.0.0.1, port: $1}
EOF
  if [[ -n "${2:-}" ]]; then
    cat <<EOF
  - ip: 127.0.0.1
    port: $2
    tls: {certPath: $3, keyPath: $4}
EOF
  fi
}

# Makes the scratch directory `work` (named after $1) and the list `pids` of processes to
# stop: on exit, every one is stopped and waited for, and the directory removed.
scratch() { # NAME
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  pids=()
  trap scratch_cleanup EXIT
}
scratch_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_h2() { # URL PID
  local i
  for ((i = 0; i < ${WAIT_TRIES:-100}; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -sf -o /dev/null --max-time 1 --http2-prior-knowledge "$1" && return 0
    sleep 0.1
  done
  return 1
}
# shellcheck source=bench/nginx_common.sh
source "$root/bench/nginx_common.sh"
# Writes DIR/nginx.conf: the common settings, then BODY inside `http {}`.
nginx_conf() { # DIR BODY...
  local dir=$1
  shift
  mkdir -p "$dir"
  {
    nginx_common "$dir"
    echo "http {"
    nginx_http_common "$dir"
    echo "$*"
    echo "}"
  } >"$dir/nginx.conf"
}

# Starts the nginx h2c backend every proxy forwards to; sets backend_port.
start_backend() {
  backend_port=$(free_port)
  nginx_conf "$work/backend" "  server {
      listen 127.0.0.1:$backend_port http2;
      location / { default_type text/plain; return 200 \"meshd h2 benchmark backend\\n\"; }
    }"
  taskset -c "$BACKEND_CPU" nginx -p "$work/backend" -c "$work/backend/nginx.conf" -e "$work/backend/error.log" &
  pids+=($!)
  wait_h2 "http://127.0.0.1:$backend_port/" "${pids[-1]}" || die "backend nginx did not start"
  log "backend: nginx h2c on 127.0.0.1:$backend_port"
}
