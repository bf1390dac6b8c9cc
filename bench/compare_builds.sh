#!/usr/bin/env bash
# Two builds of keras.cpp side by side: runs the same benchmark binary from
# an old and a new build directory alternately, PAIRS times per batch size,
# and prints the medians and the new/old ratio (for "did this change make
# training slower?").
#
#   bash bench/compare_builds.sh OLD_BUILD_DIR NEW_BUILD_DIR {mlp|cnn} [pairs=3] [batch sizes]
#
# Environment: EPOCHS (default 1).
set -euo pipefail
old="${1:?old build dir}" new="${2:?new build dir}" kind="${3:?mlp or cnn}"
pairs="${4:-3}"
case "$kind" in
  mlp) batches="${5:-32 128}" ;;
  cnn) batches="${5:-128}" ;;
  *) echo "usage: bash bench/compare_builds.sh OLD NEW {mlp|cnn} [pairs] [batches]" >&2; exit 2 ;;
esac
epochs="${EPOCHS:-1}"
for d in "$old" "$new"; do
  [[ -x "$d/bench/${kind}_fashion" ]] || { echo "compare_builds: $d/bench/${kind}_fashion is missing" >&2; exit 2; }
done
field() { grep -o "$1=[^ ]*" <<<"$2" | head -1 | cut -d= -f2; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| batch | old s/epoch | new s/epoch | new/old |"
echo "|---|---|---|---|"
for batch in $batches; do
  o=() n=()
  for ((i = 1; i <= pairs; ++i)); do
    lo="$("$old/bench/${kind}_fashion" "$batch" "$epochs" 2>/dev/null | tail -1)"
    ln="$("$new/bench/${kind}_fashion" "$batch" "$epochs" 2>/dev/null | tail -1)"
    echo "  old: $lo" >&2
    echo "  new: $ln" >&2
    o+=("$(field s/epoch "$lo")")
    n+=("$(field s/epoch "$ln")")
  done
  mo="$(median "${o[@]}")" mn="$(median "${n[@]}")"
  echo "| $batch | $mo | $mn | $(awk -v a="$mn" -v b="$mo" 'BEGIN { printf "%.3f", a / b }') |"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
