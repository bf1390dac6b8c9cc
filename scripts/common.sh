# Shared by run_example.sh and test.sh (sourced, not run): configure and
# build keras.cpp in build/.
#
# Environment: BUILD_DIR (default build), KERAS_CUDA (AUTO, ON or OFF;
# default AUTO: the CUDA backend is built when the toolkit is found), JOBS
# (parallel compile jobs; default: the number of cores).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$(realpath -m "${BUILD_DIR:-$REPO_ROOT/build}")"
JOBS="${JOBS:-$(nproc)}"

configure() {
  local launcher=()
  # ccache, when installed, makes rebuilds after small edits quick.
  if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
  cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
    -DKERAS_CUDA="${KERAS_CUDA:-AUTO}" "${launcher[@]}" "$@"
}

build() {
  cmake --build "$BUILD_DIR" --parallel "$JOBS" "$@"
}

step() {
  printf '\n==> %s\n' "$*"
}
