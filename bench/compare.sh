#!/usr/bin/env bash
# Side-by-side benchmark on Fashion-MNIST of the MLP (784-128-10, Adam;
# bench/mlp_fashion.cpp) or the CNN (conv3x3(32)-pool-conv3x3(64)-pool-
# dense128-dense10, Adam; bench/cnn_fashion.cpp) against the PyTorch peer,
# run alternately, PAIRS times per batch size. Prints the medians and the
# ratio, and appends the results
# with the date, the command and the machine to docs/benchmarks.md.
#
#   bash bench/compare.sh {mlp|cnn} [pairs=3] [batch sizes: mlp "32 128", cnn "128"]
#
# Environment:
#   BUILD_DIR   where mlp_fashion / cnn_fashion are built (default build; built if missing)
#   PEER        the peer script (default ../shared/peers/torch_fashion.py
#               next to the repository); needs python3-torch for /usr/bin/python3
#   EPOCHS      epochs per run, both sides (default 1)
#   THREADS     the peer's thread count (default 2); ours uses OpenBLAS's default
#   NO_RECORD=1 print only, leave docs/benchmarks.md alone
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kind="${1:-}"
case "$kind" in
  mlp) default_batches="32 128"; title="MLP 784-128-10, Adam, Fashion-MNIST" ;;
  cnn) default_batches="128"; title="CNN conv3x3(32)-pool-conv3x3(64)-pool-dense128-dense10, Adam, Fashion-MNIST" ;;
  *) echo "usage: bash bench/compare.sh {mlp|cnn} [pairs] [batch sizes]" >&2; exit 2 ;;
esac
pairs="${2:-3}"
batches="${3:-$default_batches}"
build_dir="${BUILD_DIR:-$repo/build}"
peer="${PEER:-$repo/../shared/peers/torch_fashion.py}"
epochs="${EPOCHS:-1}"
threads="${THREADS:-2}"
ours="$build_dir/bench/${kind}_fashion"
python=/usr/bin/python3

if ! [[ "$pairs" =~ ^[1-9][0-9]*$ ]]; then
  echo "compare: pairs must be a positive integer; received '$pairs'" >&2
  exit 2
fi
if [[ ! -x "$ours" ]]; then
  echo "compare: building $ours"
  cmake --build "$build_dir" --target "${kind}_fashion" --parallel "${JOBS:-$(nproc)}"
fi

have_peer=1
if [[ ! -f "$peer" ]]; then
  echo "compare: the peer script $peer is missing; measuring ours only (set PEER=...)" >&2
  have_peer=0
elif ! "$python" -c 'import torch' 2>/dev/null; then
  echo "compare: PyTorch is not installed for $python (apt-get install -y python3-torch);" \
    "measuring ours only" >&2
  have_peer=0
fi

# field NAME LINE: the value of NAME=value in a result line.
field() { grep -o "$1=[^ ]*" <<<"$2" | head -1 | cut -d= -f2; }
# median of the numbers given as arguments (mean of the middle two if even).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print "nan"; exit }
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Runs a command, echoes its result line (the last line of its output) and
# fails loudly if it has no s/epoch figure.
run_one() {
  local line
  line="$("$@" 2>/dev/null | tail -1)" || true
  if [[ -z "$(field 's/epoch' "$line")" ]]; then
    echo "compare: no result from: $*" >&2
    echo "  output: $line" >&2
    return 1
  fi
  echo "$line"
}

# Other work on the machine skews the two sides differently (PyTorch's
# threads suffer most when the cores are oversubscribed), so say so.
load_before="$(cut -d' ' -f1 /proc/loadavg)"
if awk -v l="$load_before" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "compare: warning: load average $load_before on $(nproc) cores before starting;" \
    "the figures will be noisy" >&2
fi

raw=()
table=()
for batch in $batches; do
  ours_s=() ours_acc=() ours_rss=() peer_s=() peer_acc=() peer_rss=()
  for ((i = 1; i <= pairs; ++i)); do
    line="$(run_one "$ours" "$batch" "$epochs")"
    echo "  $line"
    raw+=("$line")
    ours_s+=("$(field 's/epoch' "$line")"); ours_acc+=("$(field test_acc "$line")")
    ours_rss+=("$(field peak_rss_MiB "$line")")
    if ((have_peer)); then
      line="$(run_one "$python" "$peer" "$kind" "$epochs" "$batch" "$threads")"
      echo "  $line"
      raw+=("$line")
      peer_s+=("$(field 's/epoch' "$line")"); peer_acc+=("$(field test_acc "$line")")
      peer_rss+=("$(field peak_rss_MiB "$line")")
    fi
  done
  o="$(median "${ours_s[@]}")"
  row="| $batch | $o | $(median "${ours_acc[@]}") | $(median "${ours_rss[@]}")"
  if ((have_peer)); then
    p="$(median "${peer_s[@]}")"
    ratio="$(awk -v p="$p" -v o="$o" 'BEGIN { printf "%.2f", p / o }')"
    row+=" | $p | $(median "${peer_acc[@]}") | $(median "${peer_rss[@]}") | ${ratio}x |"
    echo "batch $batch: keras.cpp median ${o} s/epoch, PyTorch median ${p} s/epoch: keras.cpp is ${ratio}x as fast"
  else
    row+=" | - | - | - | - |"
    echo "batch $batch: keras.cpp median ${o} s/epoch"
  fi
  table+=("$row")
done

[[ "${NO_RECORD:-0}" == 1 ]] && exit 0

doc="$repo/docs/benchmarks.md"
if [[ ! -f "$doc" ]]; then
  cat >"$doc" <<'HEAD'
# Benchmarks

Written by `bench/compare.sh`, never by hand: each section is one run of
the script, ours and the peer alternating, with the median of each. The ratio
is the peer's seconds per epoch divided by ours (above 1: keras.cpp is faster).
Shared machines are noisy; compare ratios from one section, not absolute
times across sections.
HEAD
fi
model="$(lscpu | grep 'Model name' | head -1 | sed 's/.*: *//')"
commit="$(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
{
  echo
  echo "## $title — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- command: \`bash bench/compare.sh $kind $pairs \"$batches\"\` (epochs per run: $epochs, peer threads: $threads, pairs: $pairs)"
  echo "- machine: $model, $(nproc) cores; load average before/after: $load_before/$(cut -d' ' -f1 /proc/loadavg)" \
    "(the runs themselves keep every core busy, so only the figure before says whether other work was running); commit $commit"
  if awk -v a="$load_before" -v n="$(nproc)" 'BEGIN { exit !(a > n / 2) }'; then
    echo
    echo "**The machine was busy during this run (see the load average): the figures, and"
    echo "the ratio most of all, are not representative.**"
  fi
  echo
  echo "| batch | keras.cpp s/epoch | keras.cpp test acc | keras.cpp peak RSS MiB | PyTorch s/epoch | PyTorch test acc | PyTorch peak RSS MiB | ratio |"
  echo "|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${table[@]}"
  echo
  echo "<details><summary>raw result lines</summary>"
  echo
  printf '    %s\n' "${raw[@]}"
  echo
  echo "</details>"
} >>"$doc"
echo "compare: results appended to $doc"
