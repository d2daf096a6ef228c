# c_events_xcheck.sh: the events collector names who sent which signal to
# whom, and how processes ended. build/workloads/c_killer forks ev_term,
# ev_kill and ev_exit42, then (inside friday's window) sends SIGTERM to the
# first and SIGKILL to the second and lets the third exit with code 42.
# events[] must hold two signal events whose sender is c_killer (its pid)
# and whose targets are the children (their pids), delivered; and three
# exit events: SIGTERM, SIGKILL and exit code 42, each with the child's
# pid. Times: wall clock within the run, t_s within the window. Clean
# exits (e.g. /bin/true) are counted, not listed. A second run with -p
# c_killer sees its signals and its three children's exits (and counts
# its own clean exit), and no other process's.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

mkfifo "$SCRATCH/go"
"$WORKLOADS/c_killer" < "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
pb=$(xcheck_playbook events)
before=$(date +%s)
"$FRIDAY" run -d 4 --playbook "$pb" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/x.err" &
fr=$!
at_exit "kill $fr 2>/dev/null"
wait_for_step "$SCRATCH/x.err" "probe:" 10
sleep 1
/bin/true
echo go > "$SCRATCH/go"
wait $wl || fail "c_killer failed: $(cat "$SCRATCH/wl.out")"
wait $fr || fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
after=$(date +%s)
unpack "$SCRATCH/x.tar.gz"
[ "$(jqr .collectors.events.status)" = ok ] || fail "events: $(jqr -c .collectors.events)"
read -r _ term _ kill9 _ exit42 ended < "$SCRATCH/wl.out"
echo "c_killer $wl: ev_term $term, ev_kill $kill9, ev_exit42 $exit42 ended: $ended"
[ "$ended" = "signal-15 signal-9 code-42" ] || fail "the children did not end as planned: $ended"

# signal_to PID SIG: the signal event for PID, as "sender_comm/pid result".
signal_to() {
	jqr ".events[] | select(.kind == \"signal\" and .detail.target.pid == $1 and
		.detail.signal == \"$2\") | \"\(.detail.sender.comm)/\(.detail.sender.pid) \(.detail.result) \(.process)\""
}
got=$(signal_to "$term" SIGTERM)
echo "SIGTERM to ev_term: $got"
[ "$got" = "c_killer/$wl delivered ev_term" ] || fail "SIGTERM to $term: '$got', not from c_killer/$wl"
got=$(signal_to "$kill9" SIGKILL)
echo "SIGKILL to ev_kill: $got"
[ "$got" = "c_killer/$wl delivered ev_kill" ] || fail "SIGKILL to $kill9: '$got', not from c_killer/$wl"

# exit_of PID: how the exit event says PID ended.
exit_of() {
	jqr ".events[] | select(.kind == \"exit\" and .detail.pid == $1) |
		\"\(.process) \(.detail.signal // \"code-\(.detail.exit_code)\")\""
}
for want in "$term ev_term SIGTERM" "$kill9 ev_kill SIGKILL" "$exit42 ev_exit42 code-42"; do
	set -- $want
	got=$(exit_of "$1")
	echo "exit of $1: $got"
	[ "$got" = "$2 $3" ] || fail "exit of pid $1: '$got', not '$2 $3'"
done
[ -z "$(jqr '.events[] | select(.kind == "exit" and .process == "true") | .process')" ] ||
	fail "a clean exit (/bin/true) was listed"
clean=$(jqr .measurements.events.exits.clean)
[ "$clean" -ge 1 ] || fail "clean exits not counted: $clean"
# Times: on the wall clock of the run, and in the window.
jqr '.events[] | "\(.time) \(.t_s) \(.time_iso)"' | while read -r t ts iso; do
	awk -v t="$t" -v b="$before" -v a="$after" 'BEGIN { exit !(t >= b - 1 && t <= a + 1) }' ||
		fail "event time $t outside the run ($before..$after)"
	awk -v t="$ts" 'BEGIN { exit !(t >= 0 && t <= 5) }' || fail "t_s $t outside the window"
	case "$iso" in 20[0-9][0-9]-*T*Z) ;; *) fail "time_iso $iso" ;; esac
done
# In time order, one timeline.
[ "$(jqr '[.events[].time] | . == sort')" = true ] || fail "events not in time order"
[ "$(jqr .measurements.events.lost_events)" = 0 ] || fail "lost events"
# The summary and the page tell it in one sentence each.
tr -s ' \n' '  ' < "$REPORT_DIR/summary.txt" |
	grep -q "c_killer (pid $wl) sent SIGTERM to ev_term (pid $term): delivered" ||
	fail "summary.txt does not tell the SIGTERM: $(grep -A9 '^Events' "$REPORT_DIR/summary.txt")"
grep -q "ev_exit42 (pid $exit42) exited with code 42" "$REPORT_DIR/report.html" ||
	fail "report.html does not tell the exit with code 42"
grep -q 'class="evstrip"' "$REPORT_DIR/report.html" || fail "report.html has no event timeline"
echo "events: $(jqr '.events | length') listed, $(jqr .measurements.events.signals.generated) signals," \
	"$(jqr .measurements.events.exits.total) exits ($clean clean) ($(jqr .measurements.events.attach))"

# -p: the target's signals and its children's exits only.
mkfifo "$SCRATCH/go2"
"$WORKLOADS/c_killer" < "$SCRATCH/go2" > "$SCRATCH/wl2.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
"$FRIDAY" run -d 4 --playbook "$pb" -p $wl -o "$SCRATCH/p.tar.gz" > /dev/null 2> "$SCRATCH/p.err" &
fr=$!
wait_for_step "$SCRATCH/p.err" "probe:" 10
sleep 1
/bin/true
sh -c 'exit 7' || true
echo go > "$SCRATCH/go2"
wait $wl || fail "c_killer failed: $(cat "$SCRATCH/wl2.out")"
wait $fr || fail "friday run -p exited $?: $(tail -3 "$SCRATCH/p.err")"
unpack "$SCRATCH/p.tar.gz"
got=$(jqr '[.events[] | "\(.kind):\(.process)"] | sort | join(" ")')
echo "-p $wl: $got; exits $(jqr -c .measurements.events.exits)"
[ "$got" = "exit:ev_exit42 exit:ev_kill exit:ev_term signal:ev_kill signal:ev_term" ] ||
	fail "-p $wl listed: $got"
# c_killer itself (clean) and its three children; not the sh that exited 7.
[ "$(jqr -c '.measurements.events.exits | [.total, .clean]')" = "[4,1]" ] ||
	fail "-p: exits counted $(jqr -c .measurements.events.exits), not c_killer and its 3 children"
