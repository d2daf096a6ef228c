# c_runqslower_xcheck.sh: Thursday's run-queue drill-down (runqlat with the
# knobs "outliers" and "per_cgroup") on the run-queue saturation workload,
# twice: build/workloads/c_spinners (3 spinning threads per CPU) once
# inside a cpu cgroup made for the test (A) and once outside it (B). The
# 100 slowest waits (cpu.runq_outliers): at least 10 spinners', slowest first
# and above 1 ms, A's with A's cgroup; every holder (the task switched out
# when the waiter got the CPU, as runqslower's prev) a real task other than
# the waiter, and a spinner thread for some of them (B's threads compete
# one by one with each other, so spinners hold the CPU at most of their
# waits; A's compete as one group against everything else). The per-cgroup
# histogram must hold A's cgroup, queued at least 1 thread-second per
# second. The heat map (knob "heatmap") counts every wait the histogram
# does, in columns within the window. With the knobs off (Tuesday), none
# of them appears.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

v1=/sys/fs/cgroup/cpu
if [ -d "$v1" ] && [ "$(stat -f -c %T "$v1")" != cgroup2fs ]; then
	root=$v1
else
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	grep -qw cpu "$root/cgroup.subtree_control" || fail "no cpu controller to put the spinners under"
fi
name="friday-rqs-$$"
cg="$root/$name"
mkdir "$cg" || fail "cannot make $cg"
at_exit "cg_remove '$cg'"

cat > "$SCRATCH/pb.json" <<JSON
{ "name": "xcheck-runqslower", "description": "Thursday's cpu drill-down knobs",
  "stages": [ { "id": "thursday", "title": "one probe",
    "steps": [ { "id": "probe", "run": "collect", "weight": 1, "collectors": ["runqlat"],
                 "knobs": { "runqlat": { "outliers": 100, "per_cgroup": true, "heatmap": true } } } ] } ] }
JSON
sh -c "echo \$\$ > '$cg/cgroup.procs' && exec '$WORKLOADS/c_spinners' 14" > /dev/null &
wl=$!
"$WORKLOADS/c_spinners" 14 > /dev/null &
wl_b=$!
at_exit "kill $wl_b 2>/dev/null"
sleep 0.3
grep -qx "$wl" "$cg/cgroup.procs" || fail "c_spinners $wl is not in $cg"
"$FRIDAY" run -d 10 --playbook "$SCRATCH/pb.json" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/x.err" ||
	fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
unpack "$SCRATCH/x.tar.gz"

[ "$(jqr .collectors.runqlat.status)" = ok ] || fail "runqlat: $(jqr -c .collectors.runqlat)"
heat='.heatmaps[] | select(.name == "cpu.runq_latency_heatmap")'
cells=$(jqr "[$heat | .counts[][]] | add")
waits=$(jqr .measurements.runqlat.latency_us.count)
[ "$cells" = "$waits" ] || fail "the heat map holds $cells waits, the histogram $waits"
window=$(jqr .collectors.runqlat.window_s)
[ "$(jqr "[$heat | .x[]] | max <= $window")" = true ] ||
	fail "heat-map columns past the $window s window: $(jqr -c "$heat | .x")"
[ "$(jqr "[$heat | .y[]] | max >= 1024")" = true ] || fail "no waits of 1 ms or more in the heat map"
echo "heat map: $cells waits in $(jqr "$heat | .x | length") columns of $(jqr "$heat | .column_s") s"

rows='.outliers[] | select(.name == "cpu.runq_outliers") | .rows[]'
jqr "$rows | \"\(.latency_us) us  \(.comm)/\(.pid)/\(.tid) [\(.cgroup)] cpu \(.cpu) held by \(.holder_comm)/\(.holder_pid)/\(.holder_tid)\"" |
	head -8
n=$(jqr "[$rows] | length")
[ "$n" = 100 ] || fail "$n outliers, not the 100 asked for (window $(jqr .collectors.runqlat.window_s) s)"
[ "$(jqr "[$rows | .latency_us] | . == (sort | reverse)")" = true ] || fail "outliers not slowest first"
ours=$(jqr "[$rows | select(.pid == $wl or .pid == $wl_b)] | length")
[ "$ours" -ge 10 ] || fail "only $ours of 100 outliers are c_spinners (pids $wl, $wl_b) waits"
[ "$(jqr "[$rows | select(.pid == $wl and .cgroup != \"/$name\")] | length")" = 0 ] ||
	fail "a c_spinners outlier is not in /$name: $(jqr -c "[$rows | select(.pid == $wl) | .cgroup] | unique")"
[ "$(jqr "[$rows | select(.latency_us < 1000)] | length")" = 0 ] || fail "an outlier under 1 ms on a saturated CPU"
# The holder is a real task that was on that CPU: never the waiter itself.
[ "$(jqr "[$rows | select(.holder_pid == 0 or .holder_comm == \"\" or .holder_tid == .tid)] | length")" = 0 ] ||
	fail "an outlier without a real holder"
held=$(jqr "[$rows | select(.holder_comm == \"c_spinners\" and (.holder_pid == $wl or .holder_pid == $wl_b))] | length")
echo "spinners' outliers: $ours of $n, held by a spinner thread in $held;" \
	"others held by: $(jqr -r "[$rows | select(.holder_comm != \"c_spinners\") | .holder_comm] | unique | join(\", \")")"
[ "$held" -ge 1 ] || fail "no outlier names a spinner as the holder"
[ "$(jqr "[$rows | select(.holder_comm == \"c_spinners\" and .holder_pid != $wl and .holder_pid != $wl_b)] | length")" = 0 ] ||
	fail "a c_spinners holder with a pid that is not a spinner's"
share=$(jqr ".measurements.runqlat.per_cgroup[] | select(.cgroup == \"/$name\") | .queued_share")
[ -n "$share" ] || fail "/$name is not in per_cgroup: $(jqr -c '[.measurements.runqlat.per_cgroup[].cgroup]')"
awk -v s="$share" 'BEGIN { exit !(s >= 1) }' || fail "/$name queued only $share thread-s/s"
[ -n "$(jqr ".histograms[] | select(.name == \"cpu.runq_latency_cgroup\") | .per_key.entries[] | select(.key == \"/$name\") | .count")" ] ||
	fail "no cpu.runq_latency_cgroup entry for /$name"
[ "$(jqr .measurements.runqlat.lost_events)" = 0 ] || fail "lost events"
echo "per cgroup: /$name queued $share thread-s/s"
# Tuesday (no knobs): no outliers, no per-cgroup section.
pb=$(xcheck_playbook runqlat)
"$FRIDAY" run -d 2 --playbook "$pb" -o "$SCRATCH/t.tar.gz" > /dev/null 2>&1 || fail "tuesday run failed"
unpack "$SCRATCH/t.tar.gz"
[ "$(jqr '.outliers | length')" = 0 ] || fail "outliers without the knob"
[ "$(jqr '.measurements.runqlat.per_cgroup')" = null ] || fail "per_cgroup without the knob"
[ "$(jqr '[.heatmaps // [] | .[] | select(.name == "cpu.runq_latency_heatmap")] | length')" = 0 ] ||
	fail "a run-queue heat map without the knob"
