#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU and the CUDA toolkit:
# configures with -DKERAS_CUDA=ON into its own build directory, builds the
# library and the tests only (no examples, no benchmarks) with every core,
# runs the whole suite (GPU tests included) and prints a short summary:
# the device, test cases passed / failed / skipped, wall time. Fails at once,
# saying why, when no GPU or no CUDA toolkit is present. Sized for under
# 8 minutes on a 16-core machine.
#
#   bash scripts/gpu_check.sh
#
# Environment: GPU_BUILD_DIR (default build-gpu), JOBS (default: nproc).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$(realpath -m "${GPU_BUILD_DIR:-$repo/build-gpu}")"
jobs="${JOBS:-$(nproc)}"
start=$(date +%s)

fail() { echo "gpu_check: FAILED: $*" >&2; exit 1; }

nvcc="$(command -v nvcc || true)"
[[ -z "$nvcc" && -x /usr/local/cuda/bin/nvcc ]] && nvcc=/usr/local/cuda/bin/nvcc
[[ -n "$nvcc" ]] || fail "no CUDA compiler (nvcc not on PATH nor at /usr/local/cuda/bin/nvcc)"
command -v nvidia-smi >/dev/null || fail "no GPU: nvidia-smi is not installed (no NVIDIA driver)"
gpus="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null || true)"
[[ -n "$gpus" ]] || fail "no GPU: nvidia-smi lists no device"
echo "gpu_check: device(s): $(paste -sd ';' <<<"$gpus")"

mkdir -p "$build_dir"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DKERAS_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DKERAS_BUILD_EXAMPLES=OFF -DKERAS_BUILD_BENCH=OFF "${launcher[@]}" >"$build_dir/gpu_check.configure.log" 2>&1 ||
  { tail -30 "$build_dir/gpu_check.configure.log" >&2; fail "configure (log: $build_dir/gpu_check.configure.log)"; }
grep -q "CUDA backend ON" "$build_dir/gpu_check.configure.log" || fail "configure did not enable the CUDA backend"
cmake --build "$build_dir" --parallel "$jobs" --target keras keras_tests >"$build_dir/gpu_check.build.log" 2>&1 ||
  { tail -40 "$build_dir/gpu_check.build.log" >&2; fail "build (log: $build_dir/gpu_check.build.log)"; }
built=$(date +%s)

log="$build_dir/gpu_check.tests.log"
status=0
(cd "$build_dir" && ./tests/keras_tests) >"$log" 2>&1 || status=$?
summary="$(grep -E '^\[doctest\] test cases:' "$log" | tail -1)"
tail -25 "$log"
echo
echo "==> gpu_check summary"
echo "device:     $(head -1 <<<"$gpus")"
echo "tests:      ${summary:-no doctest summary (see $log)}"
skipped_gpu=$(grep -c "SKIPPED" "$log" || true)
echo "GPU skips:  $skipped_gpu line(s) saying SKIPPED (expected 0 on a GPU machine)"
echo "wall time:  build $((built - start)) s, tests $(( $(date +%s) - built )) s, total $(( $(date +%s) - start )) s"
[[ $status -eq 0 ]] || fail "the test suite failed (exit $status; log: $log)"
[[ $skipped_gpu -eq 0 ]] || fail "GPU tests were skipped although a GPU is present (log: $log)"
echo "gpu_check: OK"
