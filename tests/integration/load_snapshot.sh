# load_snapshot.sh: Monday's load snapshot on the live host, twice.
# Idle: report.load is complete and no load finding is a warning or worse.
# Loaded with 3 x CPUs spinning threads (tests/workloads/spin_a1): every
# run-queue sample counts them, cpu.runqueue_saturated is critical and names
# them, and the top-process list holds spin_a1 with its pid and CPU share.
. tests/lib.sh
need_root

cpus=$(nproc)
nr_spin=$((3 * cpus))

# ---- idle ----------------------------------------------------------------
# vmstat runs beside friday as an independent witness of the host's state:
# other people's load on a shared machine is not a false positive of ours.
vmstat 1 9 > "$SCRATCH/vmstat.idle" &
vmstat_pid=$!
at_exit "kill $vmstat_pid 2>/dev/null"
"$FRIDAY" run -d 8 --stages monday -o "$SCRATCH/idle.tar.gz" > /dev/null 2> "$SCRATCH/idle.err" ||
	fail "friday run (idle) exited $?: $(cat "$SCRATCH/idle.err")"
wait $vmstat_pid || true
unpack "$SCRATCH/idle.tar.gz"

[ "$(jqr '.stages[0].steps[] | select(.id == "load-snapshot") | .status')" = ok ] ||
	fail "load-snapshot step: $(jqr '.stages[0].steps[] | select(.id == "load-snapshot")')"
[ "$(jqr '.load.cpus')" = "$cpus" ] || fail "load.cpus is $(jqr .load.cpus), nproc says $cpus"
[ "$(jqr '.load.cpu.per_cpu | length')" = "$cpus" ] || fail "per_cpu has $(jqr '.load.cpu.per_cpu | length') CPUs"
nr=$(jqr '.load.nr_intervals')
[ "$nr" -ge 4 ] || fail "only $nr intervals in an 8 s monday run"
[ "$(jqr '.load.runq.procs_running | length')" = "$nr" ] || fail "one run-queue sample per interval"
jqr '.load.window_s' | awk -v n="$nr" '{ exit !($1 > n - 0.5 && $1 < n + 0.5) }' ||
	fail "window $(jqr .load.window_s) s for $nr intervals of 1 s"
for k in .load.cpu.util_pct .load.loadavg.avg1 .load.memory.available_pct \
	.load.memory.major_faults_per_s .load.network.tcp.retrans_segs \
	.load.context_switches_per_s '.load.network.interfaces[0].rx_bytes_per_s'; do
	[ "$(jqr "$k | type")" = number ] || fail "$k is not a number"
done
[ "$(jqr '[.load.disks[] | select(.util_pct == null or .await_ms == null or .aqu_sz == null or .iops == null)] | length')" = 0 ] ||
	fail "a disk lacks util_pct, await_ms, aqu_sz or iops"
[ "$(jqr '[.findings[] | select(.step == "load-snapshot") | select(.evidence.source == null or .evidence.threshold == null)] | length')" = 0 ] ||
	fail "a load finding lacks its threshold or source"

# vmstat's first line is since boot: skip it (and the two headers).
# Steal counts too: it is the neighbours' load, and friday warns from 1%.
busy=$(awk -v cpus="$cpus" 'NR > 3 && ($1 > cpus || $13 + $14 > 50 || $7 + $8 > 0 || $16 > 20 || $17 >= 1) { print }' "$SCRATCH/vmstat.idle")
if [ -z "$busy" ]; then
	loud=$(jqr '[.findings[] | select(.step == "load-snapshot" and .severity != "info") | "\(.id) \(.severity): \(.detail)"] | .[]')
	[ -z "$loud" ] || fail "idle host, yet load findings: $loud"
	echo "idle: no warning or critical load finding; util $(jqr .load.cpu.util_pct)%, r avg $(jqr .load.runq.procs_running_avg)"
else
	echo "NOTE: the host was not idle (vmstat, load that is not ours):"
	echo "$busy"
	ps -eo pid,pcpu,comm --sort=-pcpu | head -6
	echo "idle assertion not applicable on this run"
fi

# ---- loaded ----------------------------------------------------------------
"$WORKLOADS/spin_a1" "$nr_spin" 40 &
spin_pid=$!
at_exit "kill $spin_pid 2>/dev/null; wait $spin_pid 2>/dev/null"
sleep 0.5
kill -0 "$spin_pid" || fail "spin_a1 did not start"
# The spinners' own CPU ticks around friday's run: an independent figure
# to cross-check friday's pidstat-like one (on a shared host the spinners
# get less than all CPUs: others' sessions take their share).
ticks() { sed 's/.*) //' "/proc/$spin_pid/stat" | awk '{ print $12 + $13 }'; }
t0=$(ticks)
s0=$(date +%s.%N)
"$FRIDAY" run -d 8 --stages monday -o "$SCRATCH/busy.tar.gz" > /dev/null 2> "$SCRATCH/busy.err" ||
	fail "friday run (loaded) exited $?: $(cat "$SCRATCH/busy.err")"
t1=$(ticks)
s1=$(date +%s.%N)
own_pct=$(echo "$t0 $t1 $s0 $s1 $(getconf CLK_TCK)" | awk '{ printf "%.1f", ($2 - $1) / $5 / ($4 - $3) * 100 }')
kill "$spin_pid"
wait "$spin_pid" 2>/dev/null || true
unpack "$SCRATCH/busy.tar.gz"

# Every sample sees the spinners: they are always runnable.
min_r=$(jqr '.load.runq.procs_running | min')
[ "$min_r" -ge "$nr_spin" ] || fail "procs_running min $min_r with $nr_spin spinning threads: $(jqr -c .load.runq.procs_running)"
[ "$(jqr '.load.runq.samples_over_cpus')" = "$(jqr '.load.runq.nr_samples')" ] || fail "not every sample above $cpus CPUs"
jqr '.load.cpu.util_pct + .load.cpu.steal_pct' | awk '{ exit !($1 >= 90) }' ||
	fail "CPUs only $(jqr .load.cpu.util_pct)% busy under $nr_spin spinners"

f='.findings[] | select(.id == "cpu.runqueue_saturated")'
[ "$(jqr "$f | .severity")" = critical ] || fail "no critical cpu.runqueue_saturated: $(jqr -c '[.findings[] | .id]')"
[ "$(jqr "$f | .evidence.cpus")" = "$cpus" ] || fail "the finding's evidence does not give the CPU count"
jqr "$f | .detail" | grep -q spin_a1 || fail "the saturation finding does not name spin_a1: $(jqr "$f | .detail")"
jqr "$f | .evidence.source" | grep -q T60-03 || fail "the finding does not cite T60-03"

top=$(jqr --argjson pid "$spin_pid" '.load.top_processes[] | select(.pid == $pid and .comm == "spin_a1") | .cpu_pct')
[ -n "$top" ] || fail "top_processes does not list spin_a1 (pid $spin_pid): $(jqr -c '.load.top_processes[0:3]')"
echo "$top $own_pct" | awk '{ exit !($1 >= 10 && $1 >= $2 * 0.5 && $1 <= $2 * 1.5) }' ||
	fail "friday says spin_a1 used $top% CPU; its own ticks say $own_pct%"

echo "loaded: $nr_spin spinners on $cpus CPUs: r $(jqr -c .load.runq.procs_running)," \
	"util $(jqr .load.cpu.util_pct)%, spin_a1 $top% CPU (own ticks: $own_pct%)," \
	"PSI cpu some $(jqr .load.pressure.cpu.some.window_pct)%"
