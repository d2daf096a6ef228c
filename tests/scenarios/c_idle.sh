# c_idle.sh: the "idle host" known workload (SCENARIOS.md): nothing of ours
# runs; Monday and Tuesday on the whole host must implicate nothing and
# raise no critical finding, and the cpu, processes, syscalls, locks,
# network and filesystem probes must each give a measured verdict with evidence. network
# must not be implicated even when other people's load is about (their
# traffic here is loopback and test namespaces, which lose nothing). Load from other
# people on a shared machine (Monday's top processes) is said, and then the
# idle assertions cannot hold: the test says so instead of judging.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

tuesday_run 8 idle
for s in cpu processes syscalls locks network filesystem; do
	v=$(verdict $s)
	echo "$s: $v: $(jqr "[.health[] | select(.subsystem == \"$s\") | .evidence[]] | join(\" | \")")"
	case "$v" in exonerated | suspect | implicated) ;; *) fail "$s verdict '$v' on a host we can measure" ;; esac
	[ "$(jqr "[.health[] | select(.subsystem == \"$s\") | .evidence[]] | length")" -ge 1 ] ||
		fail "$s verdict without evidence"
done
[ "$(verdict network)" != implicated ] ||
	fail "idle host, yet network implicated: $(jqr -c '[.findings[] | select(.subsystem == "network")]')"
others=$(foreign_load "")
if [ -n "$others" ]; then
	echo "NOTE: the host was not idle (load that is not ours), idle verdicts not judged:"
	echo "$others"
	exit 0
fi
impl=$(jqr '[.health[] | select(.verdict == "implicated") | .subsystem] | join(",")')
[ -z "$impl" ] || fail "idle host, yet implicated: $impl"
# Past errors (the kernel log of the last hour: an OOM kill by another
# test, say) are the host's history, not what it does now: said, not failed.
past=$(jqr '[.findings[] | select(.severity == "critical" and .step == "past-errors") | .id] | join(",")')
[ -z "$past" ] || echo "NOTE: critical past errors in the kernel log (history, not judged): $past"
crit=$(jqr '[.findings[] | select(.severity == "critical" and .step != "past-errors") | .id] | join(",")')
[ -z "$crit" ] || fail "idle host, yet critical findings: $crit"
echo "idle: run-queue p99 $(jqr .measurements.runqlat.latency_us.p99) us," \
	"$(jqr .measurements.syscount.total.rate_per_s | cut -d. -f1) syscalls/s," \
	"$(jqr .measurements.proclife.rates.execs_per_s) execs/s," \
	"futex $(jqr .measurements.futexwait.futex.waits_per_s) waits/s," \
	"$(jqr .measurements.nethealth.tcp.retrans_segs) TCP retransmits," \
	"$(jqr .measurements.nethealth.drops.total) drops," \
	"$(jqr .measurements.fslat.calls_per_s | cut -d. -f1) file-system calls/s," \
	"$(jqr .measurements.fslat.slow_calls.count) over 10 ms"
