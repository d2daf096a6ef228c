# c_one_busy_thread.sh: one thread spinning on a many-CPU host is a busy
# thread, not CPU saturation (SCENARIOS.md, "hot function"): with one
# c_spinners thread, cpu must not be implicated, nor anything else, and
# cpu.runqueue_latency must not name the spinner (unless other people's
# load saturated the CPUs, which only_implicated says).
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

[ "$(nproc)" -ge 2 ] || fail "needs 2 CPUs or more"
"$WORKLOADS/c_spinners" 14 1 > /dev/null &
wl=$!
at_exit "kill $wl 2>/dev/null"
sleep 0.5
tuesday_run 8 one
only_implicated none "$wl" 1
foreign=$(awk -v r="$(jqr .measurements.runqlat.runnable.mean)" -v c="$(nproc)" \
	'BEGIN { print (r - 1 > c) ? "yes" : "" }')
[ -n "$foreign" ] || [ "$(jqr "[.findings[] | select(.id == \"cpu.runqueue_latency\") |
	select(.evidence.process.pid == $wl)] | length")" = 0 ] ||
	fail "cpu.runqueue_latency blames the one busy thread"
echo "one busy thread: cpu $(verdict cpu); run-queue p99 $(jqr .measurements.runqlat.latency_us.p99) us," \
	"r $(jqr .measurements.runqlat.runnable.mean) on $(jqr .measurements.runqlat.runnable.cpus) CPUs," \
	"spinner queued $(jqr ".measurements.runqlat.top_processes[] | select(.pid == $wl) | .queued_share") thread-s/s"
