#!/bin/sh
# unwind_cost.sh: what DWARF unwinding costs against frame-pointer-only
# stacks on the same workloads, in one run: friday profiles (Wednesday,
# -p) the same process with --unwind fp, --unwind dwarf, and --unwind
# dwarf --unwind-stack 32, alternating, ROUNDS times each, and prints the
# medians of friday's own CPU time, the BPF programs' time per run, the
# stack bytes copied per second, the unwinding time, and what the user
# gets for it (the share of stacks that reach the application's caller).
# Workloads (build/workloads, -O2 without frame pointers):
#   cpu:    hot_function with 2 spinning threads (CPU samples at -F 199);
#   offcpu: c_mutex_contend with 4 threads (about 10k context switches/s);
#   host:   the whole host as it is (no -p), off-CPU profile, --unwind fp
#           against auto (the default: DWARF for processes without frame
#           pointers), to show the cost where every process may need it.
#   sh bench/unwind_cost.sh [SECONDS] [ROUNDS]   (default 12 and 3; after make)
#   BENCH_WORKLOADS="host" sh bench/unwind_cost.sh   (only some workloads)
set -eu
BUILD=${BUILD:-build}
SECONDS_RUN=${1:-12}
ROUNDS=${2:-3}
WORKLOADS_RUN=${BENCH_WORKLOADS:-cpu offcpu host}
FRIDAY=$PWD/$BUILD/friday
dir=$(mktemp -d /tmp/friday-unw-bench.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT
make -s "$BUILD/friday" "$BUILD/workloads/hot_function" "$BUILD/workloads/c_mutex_contend" > /dev/null

# one WORKLOAD MODE ROUND: a friday run on a fresh workload process; one
# line of figures in $dir/WORKLOAD.MODE.
one() {
	workload=$1 mode=$2 pid=""
	case "$workload" in
	cpu) "$BUILD/workloads/hot_function" $((SECONDS_RUN + 10)) 2 & pid=$! ;;
	offcpu) "$BUILD/workloads/c_mutex_contend" $((SECONDS_RUN + 10)) 4 > /dev/null & pid=$! ;;
	esac
	pids="$pids $pid"
	sleep 0.3
	case "$mode" in
	fp) opts="--unwind fp" ;;
	auto) opts="--unwind auto" ;;
	dwarf) opts="--unwind dwarf" ;;
	dwarf32) opts="--unwind dwarf --unwind-stack 32" ;;
	esac
	# shellcheck disable=SC2086
	"$FRIDAY" run -d "$SECONDS_RUN" -F 199 ${pid:+-p $pid} --stages wednesday $opts \
		-o "$dir/run.tar.gz" > /dev/null 2>&1
	if [ -n "$pid" ]; then
		kill $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
	fi
	rm -rf "$dir/u"
	mkdir "$dir/u"
	tar -xzf "$dir/run.tar.gz" -C "$dir/u"
	r=$(find "$dir/u" -name report.json | head -1)
	kind=$([ "$workload" = cpu ] && echo cpu || echo offcpu)
	coll=$([ "$workload" = cpu ] && echo profile || echo offcpu)
	folded="$(dirname "$r")/$(jq -r ".profiles[] | select(.kind == \"$kind\") | .folded" "$r")"
	# The share of samples (cpu) or blocked time (offcpu, voluntary) whose
	# stack reaches the application's caller of the hot or blocking call.
	if [ "$workload" = host ]; then
		reach=0
	elif [ "$workload" = cpu ]; then
		reach=$(awk '{ n = $NF; t += n; if ($0 ~ /;spin;friday_hot_spin/) h += n }
			END { printf "%.1f", t ? 100 * h / t : 0 }' "$folded")
	else
		reach=$(awk '/\[preempted\] [0-9]+$/ { next } { n = $NF; t += n;
			if ($0 ~ /;worker;[^;]*pthread_mutex_lock/) h += n }
			END { printf "%.1f", t ? 100 * h / t : 0 }' "$folded")
	fi
	jq -r --arg reach "$reach" --arg kind "$kind" --arg coll "$coll" '
		(.profiles[] | select(.kind == $kind)) as $p |
		[.overhead.tool_cpu_s, .overhead.collectors[$coll].bpf_ns_per_run,
		 .overhead.collectors[$coll].bpf_cpu_share * 100, $p.unwind.bytes_per_s,
		 $p.unwind.bytes_per_stack, $p.unwind.unwind_s, $p.unwind.stacks,
		 $p.unwind.truncated, $p.unwind.lost, $p.window_s, $p.total, ($reach | tonumber)] |
		@tsv' "$r" >> "$dir/$workload.$mode"
}

modes_of() { [ "$1" = host ] && echo "fp auto" || echo "fp dwarf dwarf32"; }

for round in $(seq "$ROUNDS"); do
	for workload in $WORKLOADS_RUN; do
		for mode in $(modes_of $workload); do
			one $workload $mode
			echo "round $round $workload $mode: $(tail -1 "$dir/$workload.$mode")" >&2
		done
	done
done

echo "| workload | unwind | friday CPU s | BPF ns/run | BPF % of a CPU | bytes copied/s | bytes/stack | unwinding s (per stack) | stacks | truncated | lost | reaches caller |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for workload in $WORKLOADS_RUN; do
	for mode in $(modes_of $workload); do
		# Column medians over the rounds.
		awk -F'\t' -v w=$workload -v m=$mode -v n="$ROUNDS" '
			{ for (i = 1; i <= NF; i++) v[i, NR] = $i; nf = NF }
			END {
				for (i = 1; i <= nf; i++) {
					for (a = 1; a <= NR; a++) c[a] = v[i, a] + 0
					for (a = 1; a <= NR; a++) for (b = a + 1; b <= NR; b++)
						if (c[b] < c[a]) { t = c[a]; c[a] = c[b]; c[b] = t }
					med[i] = c[int((NR + 1) / 2)]
				}
				label = m == "dwarf32" ? "dwarf, 32 KiB" : m
				per = med[7] ? sprintf(" (%.1f us)", 1e6 * med[6] / med[7]) : ""
				reach = w == "host" ? "-" : sprintf("%.1f%%", med[12])
				printf "| %s | %s | %.2f | %.0f | %.2f | %.0f | %.0f | %.3f%s | %d | %d | %d | %s |\n",
					w, label, med[1], med[2], med[3], med[4], med[5], med[6], per,
					med[7], med[8], med[9], reach
			}' "$dir/$workload.$mode"
	done
done
