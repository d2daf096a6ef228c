# clean_exits.sh: friday leaves nothing behind however it ends. For each
# stage (Monday to Thursday, tests/fixtures/playbooks/clean_exits.json,
# where every stage has one long step) SIGINT and SIGTERM while the stage
# runs leave a partial archive that unpacks with report.json, and kill -9
# leaves no archive; in every case the BPF programs and links this friday
# held (read from its own /proc/PID/fdinfo before the signal, so other
# fridays on the machine do not count) are gone from the kernel afterwards:
# nothing pinned, nothing attached. tracefs is as it was. A second friday
# refuses to start while one runs, naming its pid; after kill -9 of the
# first, the lock does not block the next.
. tests/lib.sh
need_root

pb=tests/fixtures/playbooks/clean_exits.json
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# ids KIND PID: the BPF object ids (prog_id, link_id) PID holds open.
ids() {
	for f in /proc/$2/fdinfo/*; do
		sed -n "s/^$1:[[:space:]]*//p" "$f" 2>/dev/null
	done | sort -un | tr '\n' ' '
}

# gone KIND IDS: each id is gone from the kernel within 3 s (programs and
# links are freed after an RCU grace period, not at once).
gone() {
	kind=$1
	shift
	for id in "$@"; do
		tries=0
		while bpftool "$kind" show id "$id" > /dev/null 2>&1; do
			[ $tries -lt 30 ] || fail "$kind $id of friday $pid is still in the kernel: $(bpftool "$kind" show id "$id")"
			sleep 0.1
			tries=$((tries + 1))
		done
	done
}

tracefs_state() {
	t=/sys/kernel/tracing
	[ -d $t/events ] || t=/sys/kernel/debug/tracing
	{ ls $t/instances; cat $t/kprobe_events $t/uprobe_events $t/tracing_on; } 2>/dev/null | md5sum
}

# wait_for PATTERN FILE: until FILE has a line matching PATTERN (20 s).
wait_for() {
	tries=0
	until grep -Eq "$1" "$2"; do
		kill -0 $pid 2>/dev/null || fail "friday ended before '$1': $(tail -3 "$2")"
		[ $tries -lt 200 ] || fail "no '$1' within 20 s"
		sleep 0.1
		tries=$((tries + 1))
	done
}

before_tracefs=$(tracefs_state)

# stop_at STAGE STEP SIG: friday runs STAGE only; SIG once STEP runs.
stop_at() {
	stage=$1 stepid=$2 sig=$3
	out="$SCRATCH/$stage-$sig.tar.gz"
	err="$SCRATCH/$stage-$sig.err"
	: > "$err"
	"$FRIDAY" run -v -d 40 --playbook $pb --stages "$stage" -o "$out" > /dev/null 2> "$err" &
	pid=$!
	at_exit "kill -KILL $pid 2>/dev/null"
	wait_for "$stage: $stepid \(" "$err"
	progs="" links=""
	if [ "$stage" != monday ]; then
		# the collectors load and attach one after another: wait until
		# links are held and their set stays the same for 1 s
		tries=0 same=0
		while [ $same -lt 4 ]; do
			now=$(ids link_id $pid)
			if [ -n "$now" ] && [ "$now" = "$links" ]; then same=$((same + 1)); else same=0; fi
			links=$now
			[ $tries -lt 60 ] || fail "$stage: friday $pid holds no stable set of BPF links after 15 s"
			sleep 0.25
			tries=$((tries + 1))
		done
		progs=$(ids prog_id $pid)
		[ -n "$progs" ] || fail "$stage: friday $pid holds no BPF program"
	else
		sleep 0.5
		# Monday's capability trials load programs and let them go
		[ -z "$(ids prog_id $pid)" ] || fail "monday: BPF programs still held during load-snapshot"
	fi
	sent=$(ms_now)
	kill -"$sig" $pid
	rc=0
	wait $pid || rc=$?
	took=$(($(ms_now) - sent))
	gone prog $progs
	gone link $links
	echo "SIG$sig in $stage: exit $rc after $took ms; $(echo $progs | wc -w) programs and" \
		"$(echo $links | wc -w) links of pid $pid gone"
	if [ "$sig" = KILL ]; then
		[ $rc = 137 ] || fail "kill -9: exit $rc"
		return
	fi
	[ $rc = 0 ] || fail "SIG$sig in $stage: exit $rc: $(tail -3 "$err")"
	[ $took -le 5000 ] || fail "SIG$sig in $stage: $took ms to stop"
	unpack "$out"
	[ "$(jqr .run.partial)" = true ] || fail "SIG$sig in $stage: run.partial $(jqr .run.partial)"
	jqr .run.partial_reason | grep -q "SIG$sig" || fail "SIG$sig in $stage: partial_reason $(jqr .run.partial_reason)"
	[ "$(jqr --arg s "$stage" '[.stages[] | select(.id == $s) | .steps[]] | length')" -ge 1 ] ||
		fail "SIG$sig in $stage: the stage is not in the report"
}

for s in monday:load-snapshot tuesday:health-probes wednesday:profile thursday:drill-down; do
	for sig in INT TERM KILL; do
		stop_at "${s%%:*}" "${s#*:}" $sig
	done
done
[ -z "$(find /sys/fs/bpf -name '*friday*' 2>/dev/null)" ] || fail "pinned: $(find /sys/fs/bpf -name '*friday*')"
[ "$(tracefs_state)" = "$before_tracefs" ] || fail "tracefs instances or events changed"

# One friday at a time; a lock left by kill -9 does not block.
"$FRIDAY" run -d 30 --stages monday -o "$SCRATCH/first.tar.gz" > /dev/null 2>&1 &
pid=$!
at_exit "kill -KILL $pid 2>/dev/null"
tries=0
until [ "$(cat "$FRIDAY_LOCK" 2>/dev/null)" = "$pid" ]; do
	[ $tries -lt 100 ] || fail "the first friday did not write its pid into $FRIDAY_LOCK"
	sleep 0.1
	tries=$((tries + 1))
done
rc=0
"$FRIDAY" run -d 2 --stages monday -o "$SCRATCH/second.tar.gz" > /dev/null 2> "$SCRATCH/second.err" || rc=$?
[ $rc = 1 ] || fail "a second friday exited $rc, not 1"
grep -q "another friday is running on this host (pid $pid" "$SCRATCH/second.err" ||
	fail "the refusal does not name pid $pid: $(cat "$SCRATCH/second.err")"
[ ! -e "$SCRATCH/second.tar.gz" ] || fail "the refused friday wrote an archive"
echo "refused: $(cat "$SCRATCH/second.err")"
kill -KILL $pid
wait $pid 2>/dev/null || true
"$FRIDAY" run -d 2 --stages monday -o "$SCRATCH/third.tar.gz" > /dev/null 2> "$SCRATCH/third.err" ||
	fail "after kill -9 of the first, the next friday exited $?: $(cat "$SCRATCH/third.err")"
echo "clean exits ok"
