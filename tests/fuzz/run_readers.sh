#!/usr/bin/env bash
# Builds the libFuzzer targets on the data set readers (src/npy/: the .npy /
# .npz reader and the pickle reader) with clang, instrumented and linked
# against the library in BUILD_DIR, and runs each from its committed seed
# corpus (tests/fuzz/corpus/<target>/) for the given time.
#
#   BUILD_DIR=build bash tests/fuzz/run_readers.sh [seconds per target, default 30]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
seconds="${1:-30}"
if ! command -v clang++ >/dev/null; then
  echo "SKIPPED: fuzzing the readers needs clang++ (libFuzzer)"
  exit 0
fi
out="$BUILD_DIR/fuzz"
mkdir -p "$out"
status=0
for target in npy pickle; do
  bin="$out/fuzz_$target"
  clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$REPO_ROOT/include" -I"$REPO_ROOT/src" $(pkg-config --cflags libzip) \
    "$REPO_ROOT/tests/fuzz/fuzz_$target.cpp" "$REPO_ROOT"/src/npy/*.cpp \
    -L"$BUILD_DIR" -lkeras -Wl,-rpath,"$BUILD_DIR" $(pkg-config --libs libzip) -o "$bin"
  corpus="$out/corpus_$target"
  rm -rf "$corpus" "$out/crashes_$target" && mkdir -p "$corpus" "$out/crashes_$target"
  cp "$REPO_ROOT/tests/fuzz/corpus/$target/"* "$corpus/"
  # Regression inputs (past crashes) are part of the committed corpus.
  log="$out/fuzz_$target.log"
  rc=0
  ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -malloc_limit_mb=1024 -artifact_prefix="$out/crashes_$target/" "$corpus" >"$log" 2>&1 || rc=$?
  runs="$(grep -o -E "stat::number_of_executed_units: [0-9]+" "$log" | grep -o -E "[0-9]+" | tail -n 1 || true)"
  [[ -n "$runs" ]] || runs="$(grep -o -E "^#[0-9]+" "$log" | tail -n 1 | tr -d '#' || true)"
  if ((rc != 0)) || [[ -z "$runs" || "$runs" -eq 0 ]]; then
    echo "fuzz_$target: FAILED (exit $rc, ${runs:-0} runs); the end of its log:"
    tail -n 30 "$log"
    status=1
  else
    echo "fuzz_$target: ${seconds}s, $runs inputs, corpus $(ls "$corpus" | wc -l) files, no crash"
  fi
done
exit $status
