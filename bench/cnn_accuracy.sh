#!/usr/bin/env bash
# One-epoch test accuracy of the Fashion-MNIST CNN (bench/cnn_fashion.cpp:
# conv3x3(32)-pool-conv3x3(64)-pool-dense128-dense10, Adam, batch 128) over
# several seeds and learning rates, with the mean, minimum and maximum per
# learning rate; optionally the same for real Keras 3 (bench/keras_cnn_peer.py).
# Appends the results, with the date, the command and the machine, to
# docs/benchmarks.md.
#
#   bash bench/cnn_accuracy.sh [seeds="0 1 2 3 4"] [learning rates="0.001 0.002 0.003"]
#
# Environment:
#   BUILD_DIR     where cnn_fashion is built (default build; built if missing)
#   KERAS_PYTHON  a Python with keras and jax (e.g. ~/.cache/keras.cpp/venv/bin/python):
#                 also run real Keras, for KERAS_SEEDS (default "0 1 2") at each rate
#   NO_RECORD=1   print only, leave docs/benchmarks.md alone
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seeds="${1:-0 1 2 3 4}"
rates="${2:-0.001 0.002 0.003}"
build_dir="${BUILD_DIR:-$repo/build}"
ours="$build_dir/bench/cnn_fashion"
keras_seeds="${KERAS_SEEDS:-0 1 2}"
if [[ ! -x "$ours" ]]; then
  echo "cnn_accuracy: building $ours"
  cmake --build "$build_dir" --target cnn_fashion --parallel "${JOBS:-$(nproc)}"
fi

# stats VALUES...: "mean [min, max]" with 4 decimals.
stats() { printf '%s\n' "$@" | awk 'NR == 1 { lo = hi = $1 } { s += $1; lo = $1 < lo ? $1 : lo; hi = $1 > hi ? $1 : hi }
  END { printf "%.4f [%.4f, %.4f]", s / NR, lo, hi }'; }

raw=()
table=()
for lr in $rates; do
  accs=()
  for seed in $seeds; do
    line="$("$ours" 128 1 "$seed" "$lr" | tail -1)"
    echo "  $line"
    raw+=("$line")
    accs+=("$(grep -o 'test_acc=[^ ]*' <<<"$line" | cut -d= -f2)")
  done
  row="| $lr | ${accs[*]} | $(stats "${accs[@]}")"
  if [[ -n "${KERAS_PYTHON:-}" ]]; then
    kaccs=()
    while read -r line; do
      echo "  $line"
      raw+=("$line")
      kaccs+=("$(grep -o 'test acc [0-9.]*' <<<"$line" | cut -d' ' -f3)")
    done < <(KERAS_BACKEND=jax "$KERAS_PYTHON" "$repo/bench/keras_cnn_peer.py" "$(tr ' ' ',' <<<"$keras_seeds")" "$lr" 2>/dev/null |
      grep 'test acc')
    row+=" | ${kaccs[*]:-} | $( ((${#kaccs[@]})) && stats "${kaccs[@]}" || echo -)"
  else
    row+=" | - | - |"
  fi
  table+=("$row |")
  echo "learning rate $lr: keras.cpp $(stats "${accs[@]}")"
done

[[ "${NO_RECORD:-0}" == 1 ]] && exit 0
model="$(lscpu | grep 'Model name' | head -1 | sed 's/.*: *//')"
commit="$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
{
  echo
  echo "## CNN one-epoch test accuracy by seed and learning rate — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- command: \`bash bench/cnn_accuracy.sh \"$seeds\" \"$rates\"\`$([[ -n "${KERAS_PYTHON:-}" ]] && echo " with real Keras (seeds $keras_seeds)")"
  echo "- model: conv3x3(32, relu)-maxpool-conv3x3(64, relu)-maxpool-dense128(relu)-dense10(softmax), Adam, batch 128, one epoch"
  echo "- machine: $model, $(nproc) cores; commit $commit"
  echo
  echo "| Adam learning rate | keras.cpp test acc per seed | keras.cpp mean [min, max] | Keras test acc per seed | Keras mean [min, max] |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${table[@]}"
  echo
  echo "<details><summary>raw result lines</summary>"
  echo
  printf '    %s\n' "${raw[@]}"
  echo
  echo "</details>"
} >>"$repo/docs/benchmarks.md"
echo "cnn_accuracy: results appended to $repo/docs/benchmarks.md"
