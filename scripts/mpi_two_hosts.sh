#!/usr/bin/env bash
# Two "hosts" on one machine: two network namespaces joined by a veth pair,
# one MPI rank in each, MPI (its out-of-band wire-up and the TCP transport)
# restricted to that link. Trains the example CNN for one epoch on
# Fashion-MNIST there, then on one host, and compares the accuracies.
# Needs root (ip netns). Cleans the namespaces up on exit.
#
#   scripts/mpi_two_hosts.sh [build dir (default build)] [train images (default 10000)]
set -euo pipefail
build=${1:-build}
images=${2:-10000}
prog=$(realpath "$build/tests/dist_train")
nsa=kmpi_host_a nsb=kmpi_host_b
ipa=10.231.7.1 ipb=10.231.7.2   # exist only inside the two namespaces
work=$(mktemp -d)

cleanup() {
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cleanup 2>/dev/null; work=$(mktemp -d)

ip netns add "$nsa"
ip netns add "$nsb"
ip link add kmpi_va netns "$nsa" type veth peer name kmpi_vb netns "$nsb"
ip -n "$nsa" addr add "$ipa/30" dev kmpi_va
ip -n "$nsb" addr add "$ipb/30" dev kmpi_vb
for ns in "$nsa" "$nsb"; do ip -n "$ns" link set lo up; done
ip -n "$nsa" link set kmpi_va up
ip -n "$nsb" link set kmpi_vb up
ip -n "$nsa" addr show kmpi_va | grep -q "$ipa"   # (no ping in the image; MPI wires up below)

# mpirun starts the remote daemon through this "rsh": into host b's namespace.
cat >"$work/netns_rsh" <<EOS
#!/usr/bin/env bash
host=\$1; shift
case "\$host" in
  $ipb) exec ip netns exec $nsb sh -c "\$*" ;;
  *) exec ip netns exec $nsa sh -c "\$*" ;;
esac
EOS
chmod +x "$work/netns_rsh"
printf '%s slots=1\n%s slots=1\n' "$ipa" "$ipb" >"$work/hostfile"

echo "== two hosts: rank 0 in $nsa ($ipa), rank 1 in $nsb ($ipb), MPI on kmpi_va/kmpi_vb only"
ip netns exec "$nsa" mpirun --allow-run-as-root -np 2 --hostfile "$work/hostfile" \
  --mca plm_rsh_agent "$work/netns_rsh" --mca plm_rsh_no_tree_spawn 1 \
  --mca oob_tcp_if_include 10.231.7.0/30 --mca btl_tcp_if_include 10.231.7.0/30 --mca btl self,tcp \
  -x DIST_THREADS=1 "$prog" mnist "$images" | tee "$work/two.txt"
# What crossed the link (the veth counters), to show the traffic went there.
ip -n "$nsa" -s link show kmpi_va | sed -n '3,6p'

echo "== one host, one process"
DIST_THREADS=1 "$prog" mnist "$images" | tee "$work/one.txt"

two=$(grep -o 'test accuracy [0-9.]*' "$work/two.txt" | awk '{print $3}')
one=$(grep -o 'test accuracy [0-9.]*' "$work/one.txt" | awk '{print $3}')
echo "test accuracy: two hosts $two, one host $one"
awk -v a="$two" -v b="$one" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.002) }' ||
  { echo "FAIL: the accuracies differ by more than 0.002"; exit 1; }
echo "OK"
