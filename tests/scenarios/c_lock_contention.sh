# c_lock_contention.sh: the "lock contention" known workload (SCENARIOS.md):
# four threads take turns on one pthread mutex and work inside it
# (build/workloads/c_mutex_contend). locks must be suspect or implicated,
# with a locks.futex_contention finding naming c_mutex_contend and its pid;
# no other subsystem may be implicated.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

"$WORKLOADS/c_mutex_contend" 14 4 > /dev/null &
wl=$!
at_exit "kill $wl 2>/dev/null"
sleep 0.5
tuesday_run 8 lock
case "$(verdict locks)" in suspect | implicated) ;;
*) fail "locks is $(verdict locks): $(jqr -c '.health[] | select(.subsystem == "locks")')" ;; esac
ours=$(jqr "[.findings[] | select(.id == \"locks.futex_contention\") | select(.evidence.process.pid == $wl)] | length")
if [ "$ours" != 1 ]; then
	others=$(foreign_load "$wl")
	named=$(finding_field locks.futex_contention '"\(.evidence.process.comm)/\(.evidence.process.pid)"')
	[ -n "$others" ] && [ "$named" != null ] ||
		fail "no locks.futex_contention finding for c_mutex_contend/$wl (got $named)"
	echo "NOTE: the busiest futex is $named (not ours): $others"
	jqr ".measurements.futexwait.futex.processes[] | select(.pid == $wl) | .waits" | grep -q . ||
		fail "c_mutex_contend's futex waits were not measured"
else
	[ "$(finding_field locks.futex_contention .evidence.process.comm)" = c_mutex_contend ] ||
		fail "finding names $(finding_field locks.futex_contention .evidence.process.comm)"
fi
only_implicated locks "$wl" 4
echo "lock contention: locks $(verdict locks);" \
	"$(jqr ".measurements.futexwait.futex.processes[] | select(.pid == $wl) |
		\"\(.waits_per_s | floor) waits/s, \(.wait_share * 100 | floor / 100) threads waiting\"")"
