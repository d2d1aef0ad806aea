#!/usr/bin/env bash
# Runs the local demo: the `world` and `hello` services in the background and meshd in the
# foreground. The services are stopped when meshd exits (Ctrl-C, SIGTERM or a crash).
#
#   scripts/run-local.sh [MESHD [CONFIG [MESHD_OPTIONS...]]]
#
# Defaults: MESHD=build/meshd, CONFIG=config/local.yaml. MESHD_OPTIONS (e.g. --log-level debug)
# are passed before CONFIG. meshd runs in the repository root, because config/local.yaml names
# its io.l5d.fs directory (config/disco) relative to the working directory.
# Ports: hello 7777 and world 7778 (config/disco/*), meshd outgoing 4140 and admin 9990.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
meshd=$(realpath -m "${1:-$root/build/meshd}")
config=${2:-$root/config/local.yaml}
[[ "$config" == - ]] || config=$(realpath -m "$config")
shift $(($# < 2 ? $# : 2))
cd "$root"

hello_port=${HELLO_PORT:-7777}
world_port=${WORLD_PORT:-7778}
proxy=${DEMO_PROXY:-http://127.0.0.1:4140}

if [[ ! -x "$meshd" ]]; then
  echo "run-local: $meshd not found or not executable; run 'make build' first" >&2
  exit 1
fi

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
# Ctrl-C reaches meshd directly (same process group); bash waits for meshd to finish its
# graceful shutdown and then ends with meshd's exit status, running the EXIT trap.
trap ':' INT
trap 'exit 143' TERM

python3 demo/world.py --port "$world_port" &
pids+=($!)
# hello reaches world through meshd's outgoing router: only the proxy from the environment is
# used, and no_proxy is cleared so that a developer's proxy settings cannot bypass meshd.
env http_proxy="$proxy" HTTP_PROXY="$proxy" no_proxy= NO_PROXY= \
  python3 demo/hello.py --port "$hello_port" &
pids+=($!)

cat >&2 <<EOF
run-local: world on 127.0.0.1:$world_port, hello on 127.0.0.1:$hello_port (via $proxy)
run-local: try   http_proxy=$proxy curl -s http://hello; echo
run-local: admin http://127.0.0.1:9990/   (Ctrl-C stops meshd and the demo services)
EOF

# Not exec: the EXIT trap must run after meshd returns.
"$meshd" "$@" "$config"
