# unwind_offcpu.sh: whole off-CPU stacks without frame pointers (issue 5).
# Two workloads built -O2 without frame pointers run in a cgroup of their
# own, profiled with --cgroup (default --unwind auto):
#   - c_mutex_contend: 4 workers take turns on one pthread mutex; the
#     blocked (voluntary) time must name the worker function that called
#     pthread_mutex_lock in at least 60% (SCENARIOS lock contention);
#   - c_blocking_calls: threads block in libc's read, poll, epoll_wait and
#     pthread_mutex_lock (futex) wrappers, each under its own function;
#     each of the four chains must hold at least 40% of the window.
# Off-CPU copies are taken at switch-out and folded when the blocked time
# follows; the report must say what they cost.
. tests/lib.sh
need_root

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || fail "no cgroup2 mount"
cg="$cg2/friday-unwoff-e-$$"
mkdir "$cg"
at_exit "for i in 1 2 3 4 5 6 7 8 9 10; do rmdir '$cg' 2>/dev/null && break; sleep 0.2; done"
"$WORKLOADS/c_mutex_contend" 14 4 > /dev/null & p1=$!
"$WORKLOADS/c_blocking_calls" 14 & p2=$!
at_exit "kill $p1 $p2 2>/dev/null; wait 2>/dev/null"
for p in $p1 $p2; do echo $p > "$cg/cgroup.procs"; done
sleep 0.3

out="$SCRATCH/run.tar.gz"
# --max-overhead 100: the profile's shares and totals are measured whole
# here; sampling down under the overhead budget is stress_cswitch.sh's.
"$FRIDAY" run --max-overhead 100 -d 6 --cgroup "$cg" --stages wednesday -o "$out" > /dev/null 2> "$SCRATCH/stderr" ||
	fail "friday run exited $?"
unpack "$out"
echo "overhead budget: $(jqr -c '.overhead.budget | {held, actions}')"
off='.profiles[] | select(.kind == "offcpu")'
folded="$REPORT_DIR/$(jqr "$off | .folded")"
[ -s "$folded" ] || fail "no off-CPU folded file"
[ "$(jqr "$off | .unwind.mode")" = auto ] || fail "unwind mode is not auto"
for p in $p1 $p2; do
	jqr -c "$off | .unwind.processes[] | select(.pid == $p) | .reason" | grep -q 'lacks frame pointers' ||
		fail "pid $p not selected for unwinding: $(jqr -c "$off | .unwind.processes")"
done
[ "$(awk '{ s += $NF } END { print s }' "$folded")" = "$(jqr "$off | .total")" ] ||
	fail "total differs from the folded file"

# share PROCESS PATTERN: percent of PROCESS's blocked (not [preempted])
# time whose stack matches PATTERN.
share() {
	awk -v p="$1" -v re="$2" '{ n = $NF; sub(/ [0-9]+$/, ""); split($0, fr, ";");
		if (fr[1] != p || $0 ~ /\[preempted\]$/) next; all += n; if ($0 ~ re) hit += n }
		END { if (all < 100000) { print "few:" all; exit } printf "%d\n", 100 * hit / all }' "$folded"
}
s=$(share c_mutex_contend ';worker;[^;]*pthread_mutex_lock[^;]*;')
echo "c_mutex_contend: $s% of its blocked time names worker -> pthread_mutex_lock"
case "$s" in few:*) fail "c_mutex_contend blocked only ${s#few:} us";; esac
[ "$s" -ge 60 ] || fail "only $s% (top: $(grep '^c_mutex_contend;' "$folded" | sort -t' ' -k2 -nr | head -2 | cut -c1-300))"

# time_of PATTERN: microseconds of c_blocking_calls (comm c_blocking_call)
# whose stack matches PATTERN.
time_of() {
	awk -v re="$1" '/^c_blocking_call;/ && $0 ~ re { s += $NF } END { print s + 0 }' "$folded"
}
window=$(jqr "$off | .window_s")
for chain in 'fridayb_read_wait;[^;]*read' 'fridayb_poll_wait;[^;]*poll' \
	     'fridayb_epoll_wait;[^;]*epoll_wait' 'fridayb_lock_wait;[^;]*pthread_mutex_lock'; do
	us=$(time_of ";$chain")
	echo "c_blocking_calls: $chain: $us us of a ${window} s window"
	awk -v u="$us" -v w="$window" 'BEGIN { exit !(u > 0.4 * w * 1e6) }' ||
		fail "$chain holds $us us, under 40% of the window (top: $(grep '^c_blocking_call;' "$folded" | sort -t' ' -k2 -nr | head -3 | cut -c1-200))"
done

stacks=$(jqr "$off | .unwind.stacks")
truncated=$(jqr "$off | .unwind.truncated")
echo "unwound $stacks off-CPU stacks, $truncated truncated, $(jqr "$off | .unwind.bytes_per_s") bytes/s, $(jqr "$off | .unwind.bytes_per_stack") bytes/stack, $(jqr "$off | .unwind.unwind_s") s unwinding, $(jqr "$off | .unwind.lost") lost"
[ "$stacks" -gt 0 ] || fail "no unwound stacks"
[ "$truncated" -le $((stacks / 10)) ] || fail "$truncated of $stacks truncated"
awk -v b="$(jqr '.overhead.offcpu.unwind.bytes_per_s')" 'BEGIN { exit !(b > 0) }' ||
	fail "overhead.offcpu.unwind.bytes_per_s missing"
echo "unwind off-CPU ok"
