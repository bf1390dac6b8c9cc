#!/usr/bin/env bash
# Kills a save loop with SIGKILL at random moments, N times per format, and
# checks that the file always loads and that at most one temporary is left.
#   BUILD_DIR=build bash scripts/kill_saves.sh [N, default 100]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
n="${1:-100}"
loop="$BUILD_DIR/tests/save_loop"
check="$BUILD_DIR/tests/load_check"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
for ext in keras h5; do
  path="$dir/model.$ext"
  loaded=0 failed=0 max_tmp=0
  for ((i = 0; i < n; i++)); do
    "$loop" "$path" & pid=$!
    sleep "0.$((RANDOM % 400 + 100))"
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true
    if [[ -e "$path" ]]; then
      if "$check" "$path"; then loaded=$((loaded + 1)); else failed=$((failed + 1)); fi
    fi
    tmp=$(find "$dir" -name "model.$ext.tmp-*" | wc -l)
    ((tmp > max_tmp)) && max_tmp=$tmp
  done
  echo "$ext: $n kills, $loaded loads ok, $failed loads failed, at most $max_tmp temporary file(s) after a load"
  ((failed == 0)) || exit 1
done
