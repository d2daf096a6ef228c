# c_runqueue_saturation.sh: the "run-queue saturation" known workload
# (SCENARIOS.md): three spinning threads per CPU (build/workloads/
# c_spinners). cpu must be implicated with run-queue latency evidence that
# names c_spinners and its pid; no other subsystem may be implicated.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

"$WORKLOADS/c_spinners" 14 > /dev/null &
wl=$!
at_exit "kill $wl 2>/dev/null"
sleep 0.5
tuesday_run 8 sat
[ "$(verdict cpu)" = implicated ] || fail "cpu is $(verdict cpu): $(jqr -c '.health[] | select(.subsystem == "cpu")')"
p99=$(finding_field cpu.runqueue_latency .evidence.figure)
[ "$p99" != null ] || fail "no cpu.runqueue_latency finding"
awk -v v="$p99" 'BEGIN { exit !(v > 1000) }' || fail "run-queue p99 $p99 us is not above 1 ms"
share=$(jqr ".measurements.runqlat.top_processes[] | select(.pid == $wl) | .queued_share")
[ -n "$share" ] || fail "c_spinners (pid $wl) is not among the most queued processes"
awk -v v="$share" 'BEGIN { exit !(v >= 1) }' || fail "c_spinners queued only $share thread-s/s"
named="$(finding_field cpu.runqueue_latency .evidence.process.comm)/$(finding_field cpu.runqueue_latency .evidence.process.pid)"
if [ "$named" != "c_spinners/$wl" ]; then
	others=$(foreign_load "$wl")
	[ -n "$others" ] || fail "cpu.runqueue_latency names $named, not c_spinners/$wl"
	echo "NOTE: $named (not ours) queued more than c_spinners: $others"
fi
only_implicated cpu "$wl" $(nproc)
echo "run-queue saturation: p99 $p99 us, c_spinners $share thread-s queued per s," \
	"r $(jqr .measurements.runqlat.runnable.mean) on $(jqr .measurements.runqlat.runnable.cpus) CPUs;" \
	"finding: $(finding_field cpu.runqueue_latency .severity)"
