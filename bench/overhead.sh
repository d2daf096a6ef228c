#!/bin/sh
# overhead.sh: what friday's default playbook costs a busy host, side by
# side with bpftrace one-liners and `perf record -g` in one run. Three
# workloads, each timed over and over for SESSION seconds with nothing
# attached (the baseline), then under each tool:
#   syscall storm    dd if=/dev/zero of=/dev/null bs=1 count=500k
#   switch storm     perf bench sched pipe -l 50000 (Debian's linux-perf)
#   CPU-bound loop   awk, 20 million additions, no system calls
# Each tool's session follows a baseline session of the same length. The
# slowdown is the mean CPU time (user + system, the workload's and its
# children's, where the kernel also charges the BPF programs and sampling
# interrupts that run in its context) of one pass under the tool over the
# mean without; CPU time rather than wall time, because on a machine
# shared with other work the wall time of a pass mostly measures the
# others. Wall-time ratios are printed too. friday runs `friday run -d SESSION` (its default playbook and
# the default 2% overhead budget); bpftrace runs one program of one-liners
# close to Tuesday's and Wednesday's probes (syscall counts by process,
# run-queue latency, 99 Hz stacks, off-CPU time by stack); perf records
# every CPU's stacks at 99 Hz (-a -g -F 99). For friday it also reports
# the time from the end of the last step to the written archive, its peak
# memory (ru_maxrss), and what the overhead budget sampled down or stopped.
#   sh bench/overhead.sh [SESSION_SECONDS]   (default 20; as root, after make)
set -eu
BUILD=${BUILD:-build}
SESSION=${1:-20}
FRIDAY=${FRIDAY:-$PWD/$BUILD/friday}
dir=$(mktemp -d /tmp/friday-o-bench.XXXXXX)
export FRIDAY_LOCK="$dir/friday.lock"
tool_pid=""
trap '[ -n "$tool_pid" ] && kill $tool_pid 2>/dev/null; rm -rf "$dir"' EXIT
for c in bpftrace perf awk dd jq python3; do
	command -v $c > /dev/null || { echo "overhead.sh needs $c (apt-get install bpftrace linux-perf)" >&2; exit 1; }
done

# passes WORKLOAD SECONDS: runs WORKLOAD over and over for SECONDS (at
# least 3 passes) and prints the mean CPU seconds and wall seconds of one.
passes() {
	end=$(($(date +%s%N) + $2 * 1000000000))
	n=0
	: > "$dir/passes"
	while [ "$(date +%s%N)" -lt $end ] || [ $n -lt 3 ]; do
		python3 -c 'import resource, subprocess, sys, time
t = time.monotonic(); subprocess.run(["sh", "-c", sys.argv[1]])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.ru_utime + r.ru_stime, time.monotonic() - t)' "$(workload_cmd $1)" >> "$dir/passes"
		n=$((n + 1))
	done
	awk '{ c += $1; w += $2 } END { printf "%.4f %.4f\n", c / NR, w / NR }' "$dir/passes"
}

workload_cmd() {
	case $1 in
	dd) echo "dd if=/dev/zero of=/dev/null bs=1 count=500k 2> /dev/null" ;;
	pipe) echo "perf bench sched pipe -l 50000 > /dev/null 2>&1" ;;
	cpu) echo "awk 'BEGIN { for (i = 0; i < 20000000; i++) s += i }'" ;;
	esac
}

bt_prog='
tracepoint:raw_syscalls:sys_enter { @sys[comm] = count(); }
tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @qt[args->pid] = nsecs; }
tracepoint:sched:sched_switch {
	if (args->prev_state == 0) { @qt[args->prev_pid] = nsecs; }
	$q = @qt[args->next_pid];
	if ($q) { @runq_us = hist((nsecs - $q) / 1000); delete(@qt[args->next_pid]); }
	@off[args->prev_pid] = nsecs; @st[args->prev_pid] = kstack;
	$o = @off[args->next_pid];
	if ($o) { @offcpu_us[@st[args->next_pid]] = sum((nsecs - $o) / 1000); delete(@off[args->next_pid]); }
}
profile:hz:99 { @cpu[kstack, ustack, comm] = count(); }'

# start TOOL WORKLOAD: starts TOOL for the session, waits until it is
# attached; sets tool_pid.
start() {
	case $1 in
	friday)
		: > "$dir/$2.err"
		"$FRIDAY" run -v -d $((SESSION + 8)) -o "$dir/$2.tar.gz" > /dev/null 2> "$dir/$2.err" &
		tool_pid=$!
		# the pass loop starts with Monday's checks done, when the BPF begins
		until grep -q "tuesday: health-probes" "$dir/$2.err"; do sleep 0.2; done ;;
	bpftrace)
		bpftrace -e "$bt_prog" > /dev/null 2> "$dir/bt.err" &
		tool_pid=$!
		sleep 4 ;;   # bpftrace compiles and attaches: several seconds
	perf)
		perf record -a -g -F 99 -o "$dir/perf.data" -q -- sleep $((SESSION + 4)) > /dev/null 2>&1 &
		tool_pid=$!
		sleep 1 ;;
	esac
}

stop() {
	case $1 in
	friday) wait $tool_pid || true ;;
	bpftrace) kill -INT $tool_pid; wait $tool_pid || true ;;
	perf) wait $tool_pid || true ;;
	esac
	tool_pid=""
}

echo "session: $SESSION s per workload and tool on $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1 /proc/loadavg)"
printf '| workload | CPU: friday | bpftrace | perf record -g | wall: friday | bpftrace | perf |\n|---|---|---|---|---|---|---|\n' > "$dir/table"
for w in dd pipe cpu; do
	row="| $w" wall=""
	for t in friday bpftrace perf; do
		# the baseline right before each tool: a shared machine's load drifts
		set -- $(passes $w $SESSION)
		base_cpu=$1 base_wall=$2
		start $t $w
		set -- $(passes $w $SESSION)
		stop $t
		row="$row | $(awk -v a=$1 -v b=$base_cpu 'BEGIN { printf "%.2fx", a / b }')"
		wall="$wall | $(awk -v a=$2 -v b=$base_wall 'BEGIN { printf "%.2fx", a / b }')"
		echo "$w under $t: $1 CPU s, $2 wall s per pass (just before: $base_cpu CPU s, $base_wall wall s)"
	done
	echo "$row$wall |" >> "$dir/table"
	mkdir -p "$dir/u-$w"
	tar -xzf "$dir/$w.tar.gz" -C "$dir/u-$w"
	rep=$(find "$dir/u-$w" -name report.json | head -1)
	echo "friday during $w: archive written $(sed -n 's/.*written \([0-9.]*\) s after the last step ended.*/\1/p' "$dir/$w.err") s after the last step," \
		"peak RSS $(jq .overhead.tool_max_rss_kib "$rep") KiB, tool CPU $(jq '.overhead.tool_cpu_s * 100 | floor / 100' "$rep") s," \
		"budget windows: $(jq -c '[.overhead.budget.windows[] | "\(.step) \(.cost_pct * 100 | floor / 100)%"]' "$rep")," \
		"cut: $(jq -c '[.overhead.budget.actions[] | "\(.step): \(.collector) \(.action)"]' "$rep")"
done
echo
cat "$dir/table"
