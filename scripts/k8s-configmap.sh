#!/usr/bin/env bash
# Writes deploy/k8s/l5d-config.yaml, the ConfigMap `l5d-config`, from config/linkerd.yaml so
# the two always hold the same text (a test compares them).
#
#   scripts/k8s-configmap.sh           regenerate deploy/k8s/l5d-config.yaml
#   scripts/k8s-configmap.sh --check   exit 1 (and show the diff) if it is out of date
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source_file=$root/config/linkerd.yaml
target_file=$root/deploy/k8s/l5d-config.yaml

render() {
  # A literal block scalar with "clip" chomping (`|`) returns the lines as written plus one
  # final newline, which is exactly a file that ends in a single newline.
  if [[ -n "$(tail -c 1 "$source_file")" ]] || [[ -z "$(tail -n 1 "$source_file")" ]]; then
    echo "k8s-configmap: $source_file must end with exactly one newline" >&2
    return 1
  fi
  if grep -q $'\t' "$source_file"; then
    echo "k8s-configmap: $source_file contains a tab; YAML block scalars need spaces" >&2
    return 1
  fi
  cat <<'EOF'
# ConfigMap l5d-config: meshd's config file, mounted at /io.buoyant/linkerd/config.yaml by the
# DaemonSet in l5d.yaml. Generated from config/linkerd.yaml by scripts/k8s-configmap.sh; edit
# that file and regenerate rather than editing this one.
apiVersion: v1
kind: ConfigMap
metadata:
  name: l5d-config
  labels:
    app: l5d
data:
  config.yaml: |
EOF
  # Indent non-empty lines by four spaces; empty lines stay empty (no trailing whitespace).
  sed 's/^./    &/' "$source_file"
}

case "${1:-}" in
  "")
    rendered=$(render)
    printf '%s\n' "$rendered" >"$target_file"
    echo "k8s-configmap: wrote ${target_file#"$root"/}"
    ;;
  --check)
    if ! diff -u "$target_file" <(render); then
      echo "k8s-configmap: ${target_file#"$root"/} is out of date; run scripts/k8s-configmap.sh" >&2
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 64
    ;;
esac
