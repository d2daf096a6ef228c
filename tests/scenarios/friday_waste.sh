# friday_waste.sh: the Friday stage on known workloads (issue 10). In a
# cgroup v2 of its own: build/workloads/waste_loop opening a missing file
# (5,000/s requested; 1,000-3,000/s happen on a loaded host), opening the
# same existing file again and again, polling with a zero timeout, and
# reading an empty non-blocking pipe (EAGAIN, 10 per turn), and a shell
# loop running /bin/true. `friday run --stages tuesday,friday --cgroup`
# must report each as unnecessary work naming the process (and the file),
# and the efficiency figures per busy process (software counters here:
# this host has no PMU, and the report must say why), with CPU time per
# syscall from Tuesday's syscount. An idle cgroup (one sleep) must get
# none of these findings.
. tests/lib.sh
need_root

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || fail "no cgroup2 mount"
missing="$SCRATCH/no-such-file-$$"
present="$SCRATCH/present-$$"
echo data > "$present"

# in_cgroup NAME CMD...: starts CMD in the cgroup NAME (made here).
in_cgroup() {
	cg="$cg2/$1"
	shift
	[ -d "$cg" ] || { mkdir "$cg"; at_exit "for i in 1 2 3 4 5 6 7 8 9 10; do rmdir '$cg' 2>/dev/null && break; sleep 0.2; done"; }
	sh -c 'echo $$ > "$1/cgroup.procs"; shift; exec "$@"' sh "$cg" "$@" &
	at_exit "kill $! 2>/dev/null"
}

busy=friday-waste-$$
in_cgroup $busy "$WORKLOADS/waste_loop" 18 missing "$missing" 5000
in_cgroup $busy "$WORKLOADS/waste_loop" 18 reopen "$present" 5000
in_cgroup $busy "$WORKLOADS/waste_loop" 18 poll - 5000
in_cgroup $busy "$WORKLOADS/waste_loop" 18 eagain - 5000
in_cgroup $busy sh -c 'end=$(($(date +%s) + 18)); while [ $(date +%s) -lt $end ]; do /bin/true; done'
sleep 0.5
out="$SCRATCH/busy.tar.gz"
"$FRIDAY" run -d 10 --stages tuesday,friday --cgroup "$cg2/$busy" -o "$out" > /dev/null 2> "$SCRATCH/stderr" ||
	fail "friday run exited $?: $(tail -3 "$SCRATCH/stderr")"
unpack "$out"
jqr -c '.findings[] | select(.stage == "friday" or (.id | test("loop|polling|short_lived|efficiency"))) | [.id, .detail]'
finding() { jqr -r --arg id "$1" '.findings[] | select(.id == $id) | .detail'; }
finding syscalls.failed_open_loop | grep -q "waste_loop (pid [0-9]*) opened the missing $missing" ||
	fail "no failed_open_loop naming waste_loop and $missing"
[ "$(jqr --arg f "$missing" '.findings[] | select(.id == "syscalls.failed_open_loop") | .evidence.file')" = "$missing" ] ||
	fail "the finding's evidence does not hold the file"
finding filesystem.reopen_loop | grep -q "waste_loop (pid [0-9]*) opened $present" ||
	fail "no reopen_loop naming waste_loop and $present"
finding syscalls.busy_polling | grep -q "waste_loop (pid [0-9]*).*poll calls" ||
	fail "no busy_polling naming waste_loop"
finding processes.short_lived_children | grep -q "^sh (pid [0-9]*) spawns" ||
	fail "no short_lived_children naming the shell"
finding syscalls.error_loop | grep -q "^waste_loop (pid [0-9]*): read failed with EAGAIN" ||
	fail "no error_loop naming waste_loop's EAGAIN reads"
# efficiency: the busy processes with their software counters, and why
# there are no hardware counters (or IPC where there are)
[ "$(jqr '.efficiency.processes | map(select(.comm == "waste_loop")) | length')" -ge 3 ] ||
	fail "efficiency figures lack the waste_loop processes: $(jqr -c '.efficiency.processes')"
jqr -e '.efficiency.processes[0] | (.cpu_ms >= 0) and (.context_switches_per_s > 0) and has("page_faults_per_s") and has("migrations_per_s")' > /dev/null ||
	fail "a process lacks its software counters: $(jqr -c '.efficiency.processes[0]')"
if [ "$(jqr .efficiency.hardware.ok)" = true ]; then
	jqr -e '.efficiency.host.ipc > 0' > /dev/null || fail "hardware counters but no IPC"
else
	jqr -r .efficiency.hardware.reason | grep -q "no hardware counters" || fail "no reason for the missing IPC"
fi
[ "$(jqr '[.findings[] | select(.id == "cpu.efficiency")] | length')" = 1 ] || fail "no cpu.efficiency finding"
# CPU per syscall from Tuesday's syscount: each turn of the missing-file
# loop is an openat and a nanosleep, microseconds of CPU at most
per=$(jqr '[.efficiency.processes[] | select(.comm == "waste_loop") | .cpu_us_per_syscall // empty] | min')
echo "waste_loop: $per us of CPU per syscall at best"
awk -v p="$per" 'BEGIN { exit !(p != "null" && p > 0 && p < 1000) }' ||
	fail "CPU per syscall is '$per' us (want between 0 and 1000)"

idle=friday-idle-$$
in_cgroup $idle sleep 30
sleep 0.2
out="$SCRATCH/idle.tar.gz"
"$FRIDAY" run -d 4 --stages friday --cgroup "$cg2/$idle" -o "$out" > /dev/null 2> "$SCRATCH/stderr" ||
	fail "friday run (idle) exited $?"
unpack "$out"
waste=$(jqr -r '[.findings[] | select(.id | test("failed_open_loop|error_loop|reopen_loop|busy_polling|short_lived_children")) | .id] | join(",")')
[ -z "$waste" ] || fail "an idle cgroup got unnecessary-work findings: $waste"
[ "$(jqr '.stages[] | select(.id == "friday") | .steps[0].status')" = ok ] || fail "the friday step did not run"
echo "friday waste ok"
