#!/usr/bin/env bash
# A rank lost mid-epoch (killed, or stopped so it hangs): the other must exit
# non-zero within the timeout, with a message naming the lost rank.
#   dist_fault.sh <mpirun> <dist_train> <kill|hang>
# kill runs twice: as mpirun does by default (mpirun itself stops the job
# when a process dies and names it), and with --enable-recovery, where mpirun
# lets the survivor run on, so its own deadline and liveness check must name
# rank 1 (mpirun then reports status 0 for the job, so only the message is
# checked there).
set -u
mpirun=$1 prog=$2 how=$3
timeout_s=10   # the collectives' deadline (KERAS_DIST_TIMEOUT)

run() {  # run <extra mpirun flags...>: sets out, rc, elapsed
  local start=$(date +%s)
  out=$(KERAS_DIST_TIMEOUT=$timeout_s DIST_THREADS=1 timeout 90 "$mpirun" --allow-run-as-root --oversubscribe \
    --mca btl self,tcp "$@" -np 2 "$prog" fault 1 5 "$how" 2>&1)
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  echo "$out" | grep -E "^rank|mpirun noticed"
  echo "dist_fault ($how $*): exit status $rc after $elapsed s"
  if (( elapsed > 60 )); then echo "FAIL: took $elapsed s, more than the timeout allows"; exit 1; fi
}
named_by_keras() { grep -q "rank 0: keras error.*lost rank(s) 1" <<<"$out"; }

if [[ "$how" == hang ]]; then
  run
  (( rc != 0 && rc != 124 )) || { echo "FAIL: expected a non-zero exit, got $rc"; exit 1; }
  named_by_keras || { echo "FAIL: no keras error naming rank 1"; exit 1; }
else
  run
  (( rc != 0 && rc != 124 )) || { echo "FAIL: expected a non-zero exit, got $rc"; exit 1; }
  grep -Eq "process rank 1 with PID|lost rank\(s\) 1" <<<"$out" || { echo "FAIL: rank 1 not named"; exit 1; }
  run --enable-recovery
  named_by_keras || { echo "FAIL: no keras error naming rank 1"; exit 1; }
fi
echo "OK"
