# stress_cswitch.sh: friday during a context-switch storm (two pairs of
# processes ping-ponging a byte over pipes, build/workloads/pingpong, well
# over 50,000 switches a second even on a loaded 2-CPU machine). The run
# ends on time (-d plus the 2 s grace plus 3 s to harvest and write the
# archive on a machine shared with other work), the
# overhead budget held in every collection window of a second or more or
# the report names the collector it sampled down or stopped there, and the
# events the collectors lost are reported as numbers, never left out.
. tests/lib.sh
need_root

d=16
ms_now() { echo $(($(date +%s%N) / 1000000)); }

"$WORKLOADS/pingpong" $((d + 4)) 2 > "$SCRATCH/pingpong.out" &
wl=$!
at_exit "kill $wl 2>/dev/null; pkill -P $wl 2>/dev/null"
sleep 0.3
start=$(ms_now)
"$FRIDAY" run -v -d $d -o "$SCRATCH/cs.tar.gz" > /dev/null 2> "$SCRATCH/cs.err" ||
	fail "friday run exited $?: $(tail -5 "$SCRATCH/cs.err")"
took=$(($(ms_now) - start))
wait $wl
trips=$(sed -n 's/^round_trips_per_s //p' "$SCRATCH/pingpong.out")
echo "friday run -d $d during $trips round trips/s ($((trips * 2)) switches/s) took $took ms"
[ "${trips:-0}" -ge 25000 ] || fail "no storm: only ${trips:-0} round trips/s"
[ $took -le $(((d + 5) * 1000)) ] ||
	fail "run -d $d took $took ms, more than $d + 5 s: $(grep -E 'ok after|timeout|skipped' "$SCRATCH/cs.err")"

unpack "$SCRATCH/cs.tar.gz"
[ "$(jqr '.overhead.budget.max_overhead_pct')" = 2 ] || fail "no default 2% budget: $(jqr -c .overhead.budget)"
[ "$(jqr '[.overhead.budget.windows[] | select(.window_s >= 1)] | length')" -ge 1 ] ||
	fail "no collection window lasted a second: $(jqr -c '.overhead.budget.windows')"
# Every window over the budget names what was done about it.
jqr -c '.overhead.budget as $b | $b.windows[] | select(.held == false) | .step as $s |
	select([$b.actions[] | select(.step == $s)] | length == 0)' > "$SCRATCH/unexplained"
[ ! -s "$SCRATCH/unexplained" ] || fail "over the budget with nothing done: $(cat "$SCRATCH/unexplained")"
jqr -r '.overhead.budget.windows[] | "  \(.step): \(.cost_pct * 100 | floor / 100)% of the host over \(.window_s * 10 | floor / 10) s, held \(.held)"'
jqr -r '.overhead.budget.actions[] | "  \(.step) at \(.at_s * 10 | floor / 10) s: \(.collector) \(.action) (friday \(.cost_pct * 100 | floor / 100)%)"'
# A storm costs the sched_switch and syscall probes far more than 2%:
# something was cut, and a step's reason says so.
[ "$(jqr '.overhead.budget.actions | length')" -ge 1 ] ||
	fail "nothing was sampled down in a switch storm: $(jqr -c '.overhead.budget')"
jqr '.stages[].steps[].reason' | grep -q "over the overhead budget: " ||
	fail "no step's reason says what the budget cut"
# offcpu, when its window lasted a second, was cut and its record says so.
if [ "$(jqr '[.overhead.budget.windows[] | select(.step == "profile" and .window_s >= 1)] | length')" = 1 ]; then
	[ "$(jqr '[.overhead.budget.actions[] | select(.collector == "offcpu")] | length')" -ge 1 ] ||
		fail "offcpu was not sampled down in a switch storm: $(jqr -c '.overhead.budget')"
	[ "$(jqr '.collectors.offcpu.sample_every // .collectors.offcpu.stopped_early_s // 0')" != 0 ] ||
		fail "collectors.offcpu does not say it was sampled or stopped: $(jqr -c .collectors.offcpu)"
fi
# Lost events: a number for every collector that ran, in both records.
jqr -r '.collectors | to_entries[] | select(.value.status == "ok") | .key' > "$SCRATCH/ran"
[ -s "$SCRATCH/ran" ] || fail "no collector ran"
while read -r c; do
	for f in ".collectors.$c.lost_events" ".overhead.collectors.$c.lost_events"; do
		[ "$(jqr "$f | type")" = number ] || fail "$f is not reported: $(jqr -c "$f")"
	done
done < "$SCRATCH/ran"
echo "lost events: $(jqr -c '[.collectors | to_entries[] | {(.key): .value.lost_events}] | add')"
grep -q 'id="budget"' "$REPORT_DIR/report.html" || fail "report.html does not show the budget"
grep -q "Lost events" "$REPORT_DIR/report.html" || fail "report.html does not show lost events"
jqr .overhead.tool_max_rss_kib | awk '{ exit !($1 > 1000) }' || fail "no peak memory in overhead"

# --max-overhead is checked as usage.
for bad in 0 abc 101 -1; do
	rc=0
	"$FRIDAY" run --max-overhead $bad -d 1 > /dev/null 2>&1 || rc=$?
	[ $rc = 2 ] || fail "--max-overhead $bad exited $rc, not 2"
done
echo "stress ok"
