#!/usr/bin/env bash
# Builds the libFuzzer target on the model loader with clang (the saving
# code instrumented, linked against the library in BUILD_DIR) and runs it
# briefly from the Keras fixtures as seeds.
#
#   BUILD_DIR=build bash tests/fuzz/run.sh [seconds, default 30]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
seconds="${1:-30}"
if ! command -v clang++ >/dev/null; then
  echo "SKIPPED: fuzzing the loader needs clang++ (libFuzzer)"
  exit 0
fi
out="$BUILD_DIR/fuzz"
mkdir -p "$out/corpus"
hdf5_inc="$(pkg-config --cflags hdf5 2>/dev/null || echo -I/usr/include/hdf5/serial)"
hdf5_lib="$(pkg-config --libs hdf5 2>/dev/null || echo -lhdf5_serial)"
# The saving sources are compiled into the fuzzer so that libFuzzer sees
# their coverage; their symbols take precedence over the library's copies.
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$REPO_ROOT/include" -I"$REPO_ROOT/src" $hdf5_inc $(pkg-config --cflags libzip) \
  "$REPO_ROOT/tests/fuzz/fuzz_load_model.cpp" "$REPO_ROOT"/src/saving/*.cpp \
  -L"$BUILD_DIR" -lkeras -Wl,-rpath,"$BUILD_DIR" $hdf5_lib $(pkg-config --libs libzip) \
  -o "$out/fuzz_load_model"
cp "$REPO_ROOT"/tests/fixtures/keras/*.h5 "$REPO_ROOT"/tests/fixtures/keras/*.keras "$out/corpus/"
# HDF5 1.10's own parser can crash on malformed metadata (upstream defects
# in libhdf5, e.g. its global heap reader); such crashes are listed, while a
# crash with a frame of our code on top fails the run. fork mode keeps going
# after a crash. LeakSanitizer is off: HDF5 keeps free lists until exit.
rm -rf "$out/crashes" && mkdir -p "$out/crashes"
export ASAN_OPTIONS=detect_leaks=0
"$out/fuzz_load_model" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds" \
  -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$out/crashes/" "$out/corpus" >"$out/fuzz.log" 2>&1 || true
grep -o -E "INFO: fuzzed for [0-9]+ seconds|stat::number_of_executed_units: [0-9]+" "$out/fuzz.log" | tail -n 2 || true
# A fuzzer that stops before its first input (a static initializer throwing,
# a missing library) must not pass as "no crash".
# Executions so far: "#N: cov: ..." status lines in fork mode ("#N NEW ..." otherwise).
runs="$(grep -o -E "^#[0-9]+" "$out/fuzz.log" | tail -n 1 | tr -d '#' || true)"
if [[ -z "$runs" || "$runs" -eq 0 ]]; then
  echo "fuzz_load_model: the fuzzer ran no input; the end of its log:"
  tail -n 20 "$out/fuzz.log"
  exit 1
fi
ours=0 upstream=0
n=0
for c in "$out"/crashes/*; do
  [[ -e "$c" ]] || continue
  n=$((n + 1)) && ((n <= 10)) || break  # replaying hangs takes a while
  # The innermost frame in a library or in our sources decides (allocator
  # and sanitizer interceptors have neither).
  top="$("$out/fuzz_load_model" -timeout=5 -rss_limit_mb=2048 "$c" 2>&1 | grep -E "^ +#[0-9]+ " |
         grep -m1 -E "libhdf5|libzip|libz\.so|$REPO_ROOT/(src|include|layers|tests)/[^ ]*:[0-9]+" || true)"
  if [[ "$top" == *libhdf5* || "$top" == *libzip* || "$top" == *libz.so* ]]; then
    upstream=$((upstream + 1))
  else
    ours=$((ours + 1))
    echo "CRASH in keras.cpp on $c:"
    "$out/fuzz_load_model" -timeout=5 "$c" 2>&1 | grep -E "^ +#[0-9]+ " | head -n 15
  fi
done
if ((upstream > 0)); then
  echo "fuzz_load_model: $upstream input(s) crash or hang inside libhdf5 / libzip themselves (upstream parser defects; kept in $out/crashes)"
fi
if ((ours > 0)); then
  echo "fuzz_load_model: $ours crash(es) in keras.cpp code"
  exit 1
fi
echo "fuzz_load_model: ${seconds}s, no crash in keras.cpp code"
