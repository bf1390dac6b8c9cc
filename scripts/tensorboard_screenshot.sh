#!/usr/bin/env bash
# Trains examples/callbacks_fashion_mnist, opens its logs in real TensorBoard
# (PyPI) on 127.0.0.1 and takes a screenshot of the scalars page with
# headless Chromium (Debian's chromium); copies the example's history.png.
#
#   bash scripts/tensorboard_screenshot.sh [build dir] [out dir]   (default build-cpu, docs)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$here/build-cpu}" && pwd)
out=$(mkdir -p "${2:-$here/docs}" && cd "${2:-$here/docs}" && pwd)
venv="${KERAS_INTEROP_VENV:-$HOME/.cache/keras.cpp/venv}"
port="${TENSORBOARD_PORT:-6006}"
work=$(mktemp -d)
trap 'kill "$tb" 2>/dev/null || true; rm -rf "$work"' EXIT

(cd "$work" && "$build/examples/callbacks_fashion_mnist" 12 20000 | grep -E "^(epochs run|best.keras)")
"$venv/bin/tensorboard" --logdir "$work/logs" --host 127.0.0.1 --port "$port" >"$work/tb.log" 2>&1 &
tb=$!
for _ in $(seq 60); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
timeout 120 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,900 \
  --virtual-time-budget=20000 --screenshot="$out/tensorboard.png" \
  "http://127.0.0.1:$port/?darkMode=false#scalars&_smoothingWeight=0&tagFilter=epoch_(loss%7Caccuracy)" 2>/dev/null
cp "$work/history.png" "$out/history.png"
echo "wrote $out/tensorboard.png and $out/history.png"
