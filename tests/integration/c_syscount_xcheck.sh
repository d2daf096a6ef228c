# c_syscount_xcheck.sh: syscount counts a known number of syscalls exactly.
# build/workloads/c_getppid waits on a FIFO, friday watches only it (-p),
# then it calls getppid(2) 23,000 times inside the window. Tolerance: none;
# every call is inside the window, so the count must be 23,000 exactly, and
# -p must keep every other process out.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

mkfifo "$SCRATCH/go"
"$WORKLOADS/c_getppid" 23000 < "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
pb=$(xcheck_playbook syscount)
gated_run 4 "$pb" probe $wl -p $wl
[ "$(jqr .collectors.syscount.status)" = ok ] || fail "syscount: $(jqr -c .collectors.syscount)"
got=$(jqr ".measurements.syscount.processes[] | select(.pid == $wl) | .top_syscalls[] |
	select(.name == \"getppid\") | .count")
echo "getppid: workload made 23000, syscount counted ${got:-none} ($(jqr .measurements.syscount.attach))"
[ "$got" = 23000 ] || fail "syscount counted ${got:-no} getppid calls, not 23000"
[ "$(jqr '[.measurements.syscount.processes[] | select(.pid != '$wl')] | length')" = 0 ] ||
	fail "-p $wl let other processes in: $(jqr -c '[.measurements.syscount.processes[].comm]')"
[ "$(jqr '.measurements.syscount.syscalls[] | select(.name == "getppid") | .errors')" = 0 ] ||
	fail "getppid counted as failing"
[ "$(jqr .measurements.syscount.lost_events)" = 0 ] || fail "lost events"
# Time in the syscall: Tuesday times one call in 8 at random, each timed
# call standing for 8, so the getppid histogram holds about 23,000 calls:
# 2,875 timed expected, a standard deviation of 50 (1.7%); 10% is six.
every=$(jqr .measurements.syscount.time_every)
timed=$(jqr '.histograms[] | select(.name == "syscalls.latency") | .per_key.entries[] |
	select(.key == "getppid") | .count')
echo "getppid histogram: ${timed:-none} calls estimated from 1 in $every timed"
[ "$every" = 8 ] || fail "time_every is $every, not Tuesday's 8"
[ "${timed:-0}" -ge 20700 ] && [ "${timed:-0}" -le 25300 ] ||
	fail "the getppid histogram estimates ${timed:-no} calls, not 23000 within 10%"
# Overhead: both programs ran at least once per getppid enter and exit
# (the -p filter is inside them), and their run time was recorded while
# the collect step had BPF statistics on.
[ "$(jqr .overhead.bpf_stats.enabled)" = true ] || fail "BPF stats were not on: $(jqr -c .overhead.bpf_stats)"
runs=$(jqr .overhead.collectors.syscount.bpf_run_count)
[ "$runs" -ge 46000 ] || fail "bpf_run_count $runs < 2 x 23000"
[ "$(jqr .overhead.collectors.syscount.bpf_run_time_ns)" -gt 0 ] || fail "no BPF run time recorded"
echo "syscount overhead: $runs program runs, $(jqr .overhead.collectors.syscount.bpf_ns_per_run | cut -d. -f1) ns each"
