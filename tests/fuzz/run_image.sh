#!/usr/bin/env bash
# Builds the libFuzzer target on the image decoders with clang (our codec
# sources instrumented, Debian's libpng / libjpeg-turbo / giflib / libstb
# linked as they are) and runs it from the image fixtures as seeds.
#
#   BUILD_DIR=build bash tests/fuzz/run_image.sh [seconds, default 30]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
seconds="${1:-30}"
if ! command -v clang++ >/dev/null; then
  echo "SKIPPED: fuzzing the image decoders needs clang++ (libFuzzer)"
  exit 0
fi
out="$BUILD_DIR/fuzz_image"
rm -rf "$out/crashes" && mkdir -p "$out/corpus" "$out/crashes"
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$REPO_ROOT/include" -I"$REPO_ROOT/src" $(pkg-config --cflags stb) \
  "$REPO_ROOT/tests/fuzz/fuzz_load_image.cpp" "$REPO_ROOT"/src/data/image_png_jpeg.cpp "$REPO_ROOT"/src/data/image_gif_bmp.cpp \
  -L"$BUILD_DIR" -lkeras -Wl,-rpath,"$BUILD_DIR" -lpng16 -ljpeg -lgif $(pkg-config --libs stb) \
  -o "$out/fuzz_load_image"
cp "$REPO_ROOT"/tests/fixtures/images/*.{png,jpg,gif,bmp} "$out/corpus/"
"$out/fuzz_load_image" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
  -artifact_prefix="$out/crashes/" "$out/corpus" >"$out/fuzz.log" 2>&1 || true
grep -E "^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units" "$out/fuzz.log" | tail -n 2 || true
runs="$(grep -o -E "^#[0-9]+" "$out/fuzz.log" | tail -n 1 | tr -d '#' || true)"
if [[ -z "$runs" || "$runs" -eq 0 ]]; then
  echo "fuzz_load_image: the fuzzer ran no input; the end of its log:"
  tail -n 20 "$out/fuzz.log"
  exit 1
fi
if compgen -G "$out/crashes/*" >/dev/null; then
  echo "fuzz_load_image: crash(es) in $out/crashes; the end of its log:"
  tail -n 40 "$out/fuzz.log"
  exit 1
fi
echo "fuzz_load_image: ${seconds}s, $runs executions, no crash"
