# budgets.sh: every step has a time budget and the run keeps going: a step
# that fails (a collector that does not exist) and a step that overruns (a
# budget no trial fits in) are recorded with their reasons and the steps
# after them still run; `friday run -d 5` ends within 5 + 3 s while three
# CPU spinners load this 2-CPU host; SIGINT and SIGTERM in the middle of a
# collection window leave a partial archive marked run.partial, exit 0.
. tests/lib.sh
need_root

ms_now() { echo $(($(date +%s%N) / 1000000)); }
step() { jqr --arg id "$1" ".stages[].steps[] | select(.id == \$id) | .$2"; }

# 1. A failing step and an overrunning step; the run goes on.
"$FRIDAY" run -d 4 --playbook tests/fixtures/playbooks/budgets.json -o "$SCRATCH/b.tar.gz" \
	> /dev/null 2> "$SCRATCH/b.err" || fail "the budgets playbook exited $?: $(cat "$SCRATCH/b.err")"
unpack "$SCRATCH/b.tar.gz"
[ "$(step caps-no-time status)" = timeout ] || fail "caps-no-time is $(step caps-no-time status), not timeout"
step caps-no-time reason | grep -Eq 'budget ran out after [0-9]+ of [0-9]+ trials' ||
	fail "caps-no-time reason: $(step caps-no-time reason)"
[ "$(jqr '.capabilities | length')" = 0 ] ||
	fail "capabilities nobody tried are in the report: $(jqr -c '.capabilities | keys')"
[ "$(step collect-missing status)" = failed ] || fail "collect-missing is $(step collect-missing status), not failed"
step collect-missing reason | grep -q "no such collector: no_such_collector" ||
	fail "collect-missing reason: $(step collect-missing reason)"
[ "$(jqr .collectors.no_such_collector.status)" = failed ] || fail "the missing collector is not recorded as failed"
for s in inventory static-checks judge; do
	[ "$(step $s status)" = ok ] || fail "step $s after a failure is $(step $s status): $(step $s reason)"
done
[ "$(jqr .run.partial)" = false ] || fail "a run that finished is marked partial"

# 2. -d bounds the run on a busy host.
for i in 1 2 3; do
	sh -c 'while :; do :; done' &
	at_exit "kill $! 2>/dev/null"
done
start=$(ms_now)
"$FRIDAY" run -d 5 -o "$SCRATCH/busy.tar.gz" > /dev/null 2> "$SCRATCH/busy.err" || fail "busy run exited $?"
took_ms=$(($(ms_now) - start))
echo "run -d 5 with 3 spinners ended after $took_ms ms"
[ "$took_ms" -le 8000 ] || fail "run -d 5 on a busy host took $took_ms ms, more than 5 + 3 s"
unpack "$SCRATCH/busy.tar.gz"
jqr .run.duration_s | awk '{ exit !($1 <= 8) }' || fail "run.duration_s $(jqr .run.duration_s) > 8"
[ "$(jqr '[.stages[].steps[] | select(.status | IN("ok","skipped","unavailable","failed","timeout") | not)] | length')" = 0 ] ||
	fail "a step without a status"
kill $(jobs -p) 2>/dev/null || true

# 3. A signal in the middle of a collection window: a partial archive, exit 0.
interrupt() {
	sig=$1
	out="$SCRATCH/$sig.tar.gz"
	"$FRIDAY" run -v -d 30 -o "$out" > /dev/null 2> "$SCRATCH/$sig.err" &
	pid=$!
	at_exit "kill -KILL $pid 2>/dev/null"
	# wait until a step with a budget of 5 s or more (a collection window) runs
	waited=0
	until grep -Eq '\(([5-9]|[1-9][0-9]+)\.[0-9] s budget\)' "$SCRATCH/$sig.err"; do
		kill -0 $pid 2>/dev/null || fail "friday ended before a collection window began"
		[ $waited -lt 150 ] || fail "no step with a collection window began within 15 s"
		sleep 0.1
		waited=$((waited + 1))
	done
	sleep 0.5
	sent=$(ms_now)
	kill -"$sig" $pid
	rc=0
	wait $pid || rc=$?
	after_ms=$(($(ms_now) - sent))
	echo "SIG$sig: friday ended $after_ms ms after the signal, exit $rc"
	[ $rc = 0 ] || fail "SIG$sig: friday exited $rc, not 0"
	[ "$after_ms" -le 5000 ] || fail "SIG$sig: friday took $after_ms ms to stop"
	[ -f "$out" ] || fail "SIG$sig: no archive"
	unpack "$out"
	[ "$(jqr .run.partial)" = true ] || fail "SIG$sig: run.partial is $(jqr .run.partial)"
	jqr .run.partial_reason | grep -q "stopped by SIG$sig" || fail "SIG$sig: partial_reason $(jqr .run.partial_reason)"
	jqr .run.duration_s | awk '{ exit !($1 < 20) }' || fail "SIG$sig: the run went on for $(jqr .run.duration_s) s"
	[ "$(step capabilities status)" = ok ] || fail "SIG$sig: Monday's capabilities step was lost"
	jqr '.stages[].steps[] | select(.status == "skipped") | .reason' | while read -r why; do
		echo "$why" | grep -Eq "not run: stopped by SIG$sig|condition" || fail "SIG$sig: a skipped step says: $why"
	done
}
interrupt INT
interrupt TERM
echo "budgets ok"
