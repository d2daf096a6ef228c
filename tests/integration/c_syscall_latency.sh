# c_syscall_latency.sh: the syscall drill-down's latency histograms have the
# right percentiles for a known workload. build/workloads/c_poll_known
# sleeps in poll(2) 60 x 10 ms, 35 x 20 ms and 5 x 45 ms; friday runs
# syscount with the drill-down's knob (latency on, slow calls from 10 ms)
# on that process alone (-p). The count must be 100 exactly. Tolerance of
# the percentiles: the kernel aggregates in log2 buckets and lib/hist
# interpolates inside one, so p50, p90 and p99 must each fall in the log2
# bucket that holds the true value, edges included (10 ms in [8.39, 16.8]
# ms, 20 ms in [16.8, 33.6] ms, 45 ms in [33.6, 67.1] ms; each rank sits 5
# calls or more inside its group, so a few wake-ups late by a loaded host
# cannot move it); the maximum is tracked exactly: at least 45 ms, and no
# more than the longest poll the workload timed around its own calls (a
# loaded host's late wake-ups count in both). The slow-call table keeps the 10 slowest polls: the
# five of 45 ms first, then 20 ms ones, with pid, thread and syscall. The same collector without the knob (Tuesday)
# must not have the latency part.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

mkfifo "$SCRATCH/go"
"$WORKLOADS/c_poll_known" <> "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
cat > "$SCRATCH/drill.json" <<JSON
{ "name": "syscall-latency", "description": "the syscall drill-down alone",
  "stages": [ { "id": "thursday", "title": "drill-down",
    "steps": [ { "id": "syscall-drill-down", "run": "collect", "weight": 1,
                 "collectors": ["syscount"],
                 "knobs": { "syscount": { "latency": true, "slow_ms": 10 } } } ] } ] }
JSON
"$FRIDAY" run -d 6 --playbook "$SCRATCH/drill.json" -p $wl -o "$SCRATCH/x.tar.gz" > /dev/null \
	2> "$SCRATCH/x.err" &
fr=$!
at_exit "kill $fr 2>/dev/null"
wait_for_step "$SCRATCH/x.err" "syscall-drill-down:" 10
sleep 1
echo go > "$SCRATCH/go"
wait $wl || fail "c_poll_known failed"
wait $fr || fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
unpack "$SCRATCH/x.tar.gz"
[ "$(jqr .collectors.syscount.status)" = ok ] || fail "syscount: $(jqr -c .collectors.syscount)"
lat=.measurements.syscount.latency
[ "$(jqr "$lat.enabled")" = true ] || fail "latency part off: $(jqr -c "$lat")"
row=$(jqr -c "[$lat.processes[] | select(.pid == $wl and .syscall == \"poll\")][0]")
echo "poll of c_poll_known: $row"
[ "$(echo "$row" | jq .count)" = 100 ] || fail "$(echo "$row" | jq .count) polls counted, not 100"
in_ms() { echo "$row" | jq -e --argjson lo "$2" --argjson hi "$3" ".$1 / 1e6 >= \$lo and .$1 / 1e6 <= \$hi" > /dev/null ||
	fail "$1 = $(echo "$row" | jq ".$1 / 1e6") ms, not in [$2, $3] ms"; }
in_ms p50_ns 8.388 16.778
in_ms p90_ns 16.777 33.555
in_ms p99_ns 33.554 67.109
own_max_ms=$(awk '{ print $4 / 1e6 }' "$SCRATCH/wl.out")
[ -n "$own_max_ms" ] || fail "c_poll_known printed no maximum: $(cat "$SCRATCH/wl.out")"
in_ms max_ns 45 "$own_max_ms"
# The same figures in the histogram, per (process, syscall).
key="c_poll_known/$wl poll"
h=$(jq -c --arg k "$key" '.histograms[] | select(.name == "syscalls.latency_process") |
	.per_key.entries[] | select(.key == $k)' "$REPORT_DIR/report.json")
[ "$(echo "$h" | jq .count)" = 100 ] || fail "syscalls.latency_process has no 100-poll entry for $key: $h"
[ "$(echo "$h" | jq .p50)" = "$(echo "$row" | jq .p50_ns)" ] || fail "histogram p50 differs from the measurement"
# Slow calls: the ten 45 ms polls.
slow=$(jqr -c "[$lat.slow_calls.rows[] | select(.pid == $wl and .syscall == \"poll\")]")
[ "$(echo "$slow" | jq length)" = 10 ] || fail "$(echo "$slow" | jq length) slow polls kept, not 10: $slow"
echo "$slow" | jq -e --argjson p $wl 'all(.tid == $p and .comm == "c_poll_known" and .latency_ms >= 20) and
	(.[0:5] | all(.latency_ms >= 45))' > /dev/null ||
	fail "slow polls are not the slowest ones with pid and thread: $slow"
[ "$(jqr "$lat.slow_calls.count")" -ge 40 ] || fail "fewer than the 40 polls of 20 and 45 ms counted slow"
[ "$(jqr "$lat.slow_calls.lost")" = 0 ] || fail "slow-call events lost"
[ "$(jqr '[.outliers[] | select(.name == "syscalls.slow_calls")] | length')" = 1 ] ||
	fail "no syscalls.slow_calls outlier table"
echo "p50 $(echo "$row" | jq '.p50_ns / 1e6') ms, p90 $(echo "$row" | jq '.p90_ns / 1e6') ms," \
	"p99 $(echo "$row" | jq '.p99_ns / 1e6') ms, max $(echo "$row" | jq '.max_ns / 1e6') ms"

# Tuesday's syscount (no knob): no latency maps, the part says why.
pb=$(xcheck_playbook syscount)
"$FRIDAY" run -d 2 --playbook "$pb" -p $$ -o "$SCRATCH/t.tar.gz" > /dev/null 2>&1 || fail "Tuesday run failed"
unpack "$SCRATCH/t.tar.gz"
[ "$(jqr "$lat.enabled")" = false ] || fail "Tuesday's syscount has the latency part on"
[ "$(jqr '[.histograms[] | select(.name == "syscalls.latency_process")] | length')" = 0 ] ||
	fail "Tuesday's syscount wrote a per-process latency histogram"
