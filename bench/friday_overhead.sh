#!/bin/sh
# friday_overhead.sh: what the Friday stage's collectors (efficiency and
# waste) cost a syscall-heavy process, against a peer: the time of
# `dd if=/dev/zero of=/dev/null bs=1 count=COUNT` (two syscalls per byte)
# alone, under `friday run --stages friday` on the whole host (waste's BPF
# runs on every syscall exit; its map updates only for failing calls,
# polls and openat), and under a one-line bpftrace syscall counter (the
# ANCHORS.md ladder). Best of RUNS each, interleaved, as ratios to alone.
#   sh bench/friday_overhead.sh [COUNT] [RUNS]   (default 500000 5; root)
set -eu
BUILD=${BUILD:-build}
COUNT=${1:-500000}
RUNS=${2:-5}
dir=$(mktemp -d /tmp/friday-o-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT

dd_ms() {
	t0=$(date +%s%N)
	dd if=/dev/zero of=/dev/null bs=1 count="$COUNT" 2> /dev/null
	echo $((($(date +%s%N) - t0) / 1000000))
}
best() { sort -n | head -1; }

# under CMD...: starts CMD, waits until its probes are attached, times dd.
under() {
	"$@" > "$dir/under.out" 2> "$dir/under.err" & p=$!
	pids="$pids $p"
	for i in $(seq 50); do
		grep -qF "$READY" "$dir/under.err" "$dir/under.out" 2> /dev/null && break
		sleep 0.1
	done
	sleep 0.5
	dd_ms
	kill -INT $p 2>/dev/null || true
	wait $p 2>/dev/null || true
}

for i in $(seq "$RUNS"); do
	dd_ms >> "$dir/alone"
	READY="[friday] efficiency:" under "$BUILD/friday" run -v --stages friday -d 20 -o "$dir/f$i.tar.gz" >> "$dir/friday"
	if command -v bpftrace > /dev/null; then
		READY="Attaching" under bpftrace -e 'tracepoint:raw_syscalls:sys_exit { @[comm] = count(); }' >> "$dir/bpftrace"
	fi
done
alone=$(best < "$dir/alone")
fri=$(best < "$dir/friday")
echo "dd bs=1 count=$COUNT, best of $RUNS: alone $alone ms"
echo "under friday --stages friday: $fri ms (x$(echo "$fri $alone" | awk '{ printf "%.2f", $1 / $2 }'))"
if [ -s "$dir/bpftrace" ]; then
	bt=$(best < "$dir/bpftrace")
	echo "under bpftrace syscall counter: $bt ms (x$(echo "$bt $alone" | awk '{ printf "%.2f", $1 / $2 }'))"
fi
exit 0
