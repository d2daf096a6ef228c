#!/bin/sh
# fslat_dd.sh: what fslat (and syscount with its Thursday latency knob)
# cost the worst case of a syscall-level probe: `dd if=/dev/zero
# of=/dev/null bs=1 count=N`, one read and one write per byte, every one
# of them seen by the probe's raw_syscalls programs (and looked up in the
# file table: /dev/zero is not a regular file, so nothing more). Side by
# side in one run, alternating, ROUNDS times: dd alone, dd under friday's
# fslat, under syscount with the latency knob, and under a one-line
# bpftrace syscall counter (ANCHORS.md's yardstick). dd's own CPU time
# (user + sys, where the BPF programs run) is the figure: less sensitive
# than wall time to other load on the machine. Prints the medians and the
# ratios to dd alone.
#   sh bench/fslat_dd.sh [N] [ROUNDS]   (default 500000 and 5; as root, after `make`)
set -eu
BUILD=${BUILD:-build}
N=${1:-500000}
ROUNDS=${2:-5}
dir=$(mktemp -d /tmp/friday-fslat-bench.XXXXXX)
bg=""
trap 'for p in $bg; do kill "$p" 2>/dev/null; done; rm -rf "$dir"' EXIT

dd_cpu() {
	/usr/bin/time -f "%U %S" dd if=/dev/zero of=/dev/null bs=1 count="$N" 2>&1 |
		tail -1 | awk '{ print $1 + $2 }'
}

playbook() {
	cat > "$dir/$1.json" <<JSON
{ "name": "bench-$1", "description": "bench",
  "stages": [ { "id": "tuesday", "title": "one probe",
    "steps": [ { "id": "probe", "run": "collect", "weight": 1, "collectors": ["$2"],
                 "knobs": $3 } ] } ] }
JSON
}
playbook fslat fslat '{}'
playbook syslat syscount '{ "syscount": { "latency": true } }'

# under KIND: starts the probe, waits until it is attached, prints dd's CPU s.
under() {
	case "$1" in
	alone) dd_cpu; return ;;
	bpftrace)
		bpftrace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }' \
			> "$dir/bt.out" 2>&1 &
		pid=$!
		until grep -q Attaching "$dir/bt.out" 2>/dev/null; do sleep 0.1; done ;;
	*)
		"$BUILD/friday" run -d 60 --playbook "$dir/$1.json" -o "$dir/$1.tar.gz" \
			> /dev/null 2> "$dir/$1.err" &
		pid=$!
		until grep -q "probe:" "$dir/$1.err" 2>/dev/null; do sleep 0.1; done
		sleep 1 ;;
	esac
	bg="$pid"
	sleep 0.5
	dd_cpu
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	bg=""
}

kinds="alone fslat syslat bpftrace"
for r in $(seq "$ROUNDS"); do
	for k in $kinds; do
		echo "$k $(under "$k")" >> "$dir/runs"
	done
	echo "round $r: $(tail -4 "$dir/runs" | tr '\n' ' ')"
done
median() { awk -v k="$1" '$1 == k { print $2 }' "$dir/runs" | sort -n |
	awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
base=$(median alone)
echo "dd bs=1 count=$N, dd's CPU seconds (median of $ROUNDS):"
for k in $kinds; do
	m=$(median "$k")
	echo "  $k: $m s ($(awk -v m="$m" -v b="$base" 'BEGIN { printf "%.2f", m / b }') x alone)"
done
