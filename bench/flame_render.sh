#!/bin/sh
# flame_render.sh: Wednesday's speed budgets (issue "CPU and off-CPU flame
# graphs"), side by side in one run:
#   1. symbolizing and writing a profile of N distinct stacks (default
#      100000: symbolize, fold, folded text, SVG, gzipped pprof) in under
#      2 s of CPU time (bench/flame_bench.c profile; wall time beside);
#   2. rendering that folded file as an SVG flame graph at least 10 times
#      faster than Brendan Gregg's flamegraph.pl on the same input.
# flamegraph.pl is the reference peer, kept outside the project and never
# committed: point FLAMEGRAPH_PL at a copy (e.g. from a clone of the
# FlameGraph repository). Each render runs REPS times (default 3),
# alternating, and the medians of wall and CPU (user + sys) time are
# compared; the machine may be loaded, so CPU time is the ratio that counts
# and wall time is printed beside it. Exits 1 when a budget is missed.
#
#   FLAMEGRAPH_PL=/path/flamegraph.pl sh bench/flame_render.sh [N]
set -eu
N=${1:-100000}
REPS=${REPS:-3}
BUILD=${BUILD:-build}
PL=${FLAMEGRAPH_PL:-}
[ -n "$PL" ] && [ -f "$PL" ] || {
	echo "flame_render.sh: set FLAMEGRAPH_PL to flamegraph.pl (FlameGraph repository)" >&2
	exit 2
}
make -s all >/dev/null
out=$(mktemp -d /tmp/friday-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -I. -I"$BUILD" -I"$BUILD/bpf" -o "$out/flame_bench" \
	bench/flame_bench.c "$BUILD/libfriday.a" \
	$(pkg-config --libs libbpf libelf libdw jansson libarchive zlib) -lpthread -lm

echo "== 1. symbolize and write $N distinct stacks (budget 2000 ms of CPU)"
line=$("$out/flame_bench" profile "$N" "$out")
echo "$line"
cpu_ms=$(echo "$line" | sed -n 's/.*cpu \([0-9]*\) ms.*/\1/p')

# secs CMD...: "wall cpu" seconds of one run, output to /dev/null.
secs() {
	/usr/bin/time -f "%e %U %S" -o "$out/t" "$@" >/dev/null 2>&1
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' "$out/t"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== 2. render $(wc -l < "$out/profile.folded") folded lines ($(du -k "$out/profile.folded" | cut -f1) KiB): friday vs flamegraph.pl, $REPS runs each"
: > "$out/friday.t"
: > "$out/pl.t"
i=0
while [ $i -lt "$REPS" ]; do
	secs "$out/flame_bench" render "$out/profile.folded" "$out/friday.svg" >> "$out/friday.t"
	secs perl "$PL" "$out/profile.folded" >> "$out/pl.t"
	i=$((i + 1))
done
fw=$(cut -d' ' -f1 "$out/friday.t" | median)
fc=$(cut -d' ' -f2 "$out/friday.t" | median)
pw=$(cut -d' ' -f1 "$out/pl.t" | median)
pc=$(cut -d' ' -f2 "$out/pl.t" | median)
echo "friday:        wall $fw s, cpu $fc s (median)"
echo "flamegraph.pl: wall $pw s, cpu $pc s (median)"
ratio=$(awk -v a="$pc" -v b="$fc" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
wratio=$(awk -v a="$pw" -v b="$fw" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
echo "friday is ${ratio}x faster in CPU time, ${wratio}x in wall time (budget 10x)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

status=0
[ "${cpu_ms:-99999}" -lt 2000 ] || { echo "OVER BUDGET: $N stacks took ${cpu_ms} ms of CPU" >&2; status=1; }
awk -v r="$ratio" 'BEGIN { exit !(r >= 10) }' || { echo "OVER BUDGET: only ${ratio}x" >&2; status=1; }
exit $status
