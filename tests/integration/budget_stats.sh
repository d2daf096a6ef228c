# budget_stats.sh: the overhead budget's estimate of BPF run time when the
# statistics are on for a share of each interval only (playbooks/budget.h).
# During a syscall storm (build/workloads/c_getppid, a million calls a
# second or so) syscount's two programs run once each per syscall of the
# host, and syscount counts every syscall exactly at its exit
# (measurements.syscount.total.count), so its estimated run count must be
# about twice that: within 20%, as the statistics see 50 ms of every
# 500 ms of a storm whose rate the shared host shakes, and while on slow
# it (two clock reads per run, a quarter of a getppid here: the estimate
# runs some 12% low). Then again with
# kernel.bpf_stats_enabled held at 1 by the sysctl, as another tool might:
# friday must notice, keep them on, and count exactly (within 1%: calls
# in flight at the window's edges). The sysctl goes back in at_exit.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

pb=$(xcheck_playbook syscount)
# run NAME: friday's syscount over the whole host during a storm.
run() {
	mkfifo "$SCRATCH/go-$1"
	"$WORKLOADS/c_getppid" 100000000 < "$SCRATCH/go-$1" > /dev/null &
	wl=$!
	at_exit "kill $wl 2>/dev/null"
	echo go > "$SCRATCH/go-$1"
	"$FRIDAY" run -d 6 --max-overhead 100 --playbook "$pb" -o "$SCRATCH/$1.tar.gz" > /dev/null \
		2> "$SCRATCH/$1.err" || fail "friday run exited $?: $(tail -3 "$SCRATCH/$1.err")"
	kill $wl 2>/dev/null
	wait $wl 2>/dev/null || true
	unpack "$SCRATCH/$1.tar.gz"
	runs=$(jqr .overhead.collectors.syscount.bpf_run_count)
	calls=$(jqr .measurements.syscount.total.count)
	share=$(jqr .overhead.collectors.syscount.bpf_stats_share)
	switches=$(jqr '.overhead.budget.windows[0].bpf_stats_switches')
	echo "$1: $calls syscalls counted, $runs program runs estimated (stats on for" \
		"$share of the window, switched $switches times)"
	[ "${calls:-0}" -ge 1000000 ] || fail "$1: no storm: $calls syscalls"
}

run sampled
[ "$switches" -ge 4 ] || fail "the statistics were not switched during the storm ($switches)"
awk -v s="$share" 'BEGIN { exit !(s > 0.05 && s < 0.7) }' || fail "stats on for $share of the window"
within "$runs" $((2 * calls)) 20 || fail "estimated $runs runs, not 2 x $calls within 20%"

old=$(cat /proc/sys/kernel/bpf_stats_enabled)
at_exit "echo $old > /proc/sys/kernel/bpf_stats_enabled"
echo 1 > /proc/sys/kernel/bpf_stats_enabled
run held
echo "$old" > /proc/sys/kernel/bpf_stats_enabled
[ "$share" = 1 ] || fail "the statistics were held on, yet friday counted them on for $share"
within "$runs" $((2 * calls)) 1 || fail "held on: $runs runs, not 2 x $calls within 1%"
