#!/usr/bin/env bash
# Installs the Debian 12 packages that meshd needs, and nothing when they are all present.
#
#   scripts/bootstrap.sh          build, test and demo dependencies (used by `make build/run/test`),
#                                 and kubectl (package kubernetes-client) when none is installed
#   scripts/bootstrap.sh --bench  the extra tools used by `make bench*` (nghttp2-proxy, haproxy, nginx)
#   scripts/bootstrap.sh --list   print the build package list and exit
#
# The check is a dpkg-query per package, so a machine that has everything prints nothing and
# never touches apt. Only when something is missing does it run `apt-get update` and
# `apt-get install --no-install-recommends`, through sudo when not running as root.
set -euo pipefail

build_packages=(
  cmake g++ make pkg-config ccache
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  node-llhttp libnghttp2-dev libssl-dev libyaml-cpp-dev libspdlog-dev libjemalloc-dev
  libgtest-dev libgmock-dev
  curl wrk python3 python3-yaml openssl zlib1g-dev chromium
  nghttp2-client nghttp2-server python3-grpcio python3-h2
)
bench_packages=(nghttp2-proxy haproxy nginx-light valgrind)

usage() {
  echo "usage: $0 [--bench | --list]" >&2
  exit 64
}

packages=("${build_packages[@]}")
case "${1:-}" in
  "") ;;
  --bench) packages=("${bench_packages[@]}") ;;
  --list)
    printf '%s\n' "${build_packages[@]}"
    exit 0
    ;;
  *) usage ;;
esac

is_installed() {
  local status
  status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
  [[ "$status" == ii* ]]
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${packages[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
  done
else
  echo "bootstrap: dpkg-query not found; this script supports Debian 12 (bookworm) only." >&2
  echo "bootstrap: install these packages (or their equivalents) by hand: ${packages[*]}" >&2
  exit 1
fi

# kubectl, for tests/k8s/manifests_test.py. Debian 12 packages it as kubernetes-client, which
# conflicts with other packages that install /usr/bin/kubectl (the Google Cloud SDK's `kubectl`),
# so it is added only when no kubectl is on PATH (and is not part of --list).
if [[ "${1:-}" == "" ]] && ! command -v kubectl >/dev/null 2>&1; then
  missing+=(kubernetes-client)
fi

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "bootstrap: installing missing Debian packages: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: apt-get not found; install the packages above by hand." >&2
  exit 1
fi

as_root=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "bootstrap: not root and sudo is not installed; run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  as_root=(sudo)
  # Without a terminal (CI) a password prompt cannot be answered: fail instead of hanging.
  [[ -t 0 ]] || as_root+=(-n)
fi

apt_env=(env DEBIAN_FRONTEND=noninteractive)
"${as_root[@]}" "${apt_env[@]}" apt-get update -q
"${as_root[@]}" "${apt_env[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
