# measurements_kept.sh: a collector run again by a later step (a Thursday
# drill-down re-running a Tuesday probe) keeps what the earlier step
# measured. syscount runs in a Tuesday step (time_every 8) and again in a
# Thursday step with the latency knob; build/workloads/c_getppid makes
# its 23,000 calls inside the Tuesday window only. measurements.syscount
# must be Thursday's (stage, step, the knob's time_every 1, no row of the
# workload), and measurements.syscount.earlier[0] Tuesday's, with the
# 23,000 calls counted exactly. The same for an entry another collector
# re-writes: diskhealth's, on Tuesday by diskhealth, on Thursday by
# disklayers (syscall_layer true), the earlier kept.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

mkfifo "$SCRATCH/go"
"$WORKLOADS/c_getppid" 23000 < "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
gated_run 9 tests/fixtures/playbooks/twice.json probe $wl

m=.measurements.syscount
[ "$(jqr "[$m.stage, $m.step] | join(\"/\")")" = thursday/drill ] ||
	fail "measurements.syscount is not the Thursday step's: $(jqr "[$m.stage, $m.step] | join(\"/\")")"
[ "$(jqr "$m.time_every")" = 1 ] || fail "Thursday's syscount timed 1 in $(jqr "$m.time_every"), not every call"
[ "$(jqr "[$m.processes[] | select(.pid == $wl)] | length")" = 0 ] ||
	fail "the workload, done on Tuesday, is in Thursday's measurements"
[ "$(jqr "$m.earlier | length")" = 1 ] || fail "earlier: $(jqr -c "$m.earlier | length")"
e="$m.earlier[0]"
[ "$(jqr "[$e.stage, $e.step] | join(\"/\")")" = tuesday/probe ] || fail "earlier[0] is $(jqr "[$e.stage, $e.step] | join(\"/\")")"
[ "$(jqr "$e.time_every")" = 8 ] || fail "Tuesday's syscount timed 1 in $(jqr "$e.time_every")"
[ "$(jqr "$e | has(\"earlier\")")" = false ] || fail "earlier[0] nests its own earlier"
got=$(jqr "$e.processes[] | select(.pid == $wl) | .top_syscalls[] | select(.name == \"getppid\") | .count")
echo "Tuesday's syscount, kept as earlier[0]: getppid ${got:-none} of 23000; Thursday's: $(jqr "$m.total.count") syscalls, timed 1 in $(jqr "$m.time_every")"
[ "$got" = 23000 ] || fail "Tuesday's measurements lost the workload's calls: ${got:-none}"

d=.measurements.diskhealth
[ "$(jqr "[$d.stage, $d.step, $d.syscall_layer] | join(\"/\")")" = thursday/disk/true ] ||
	fail "measurements.diskhealth is not disklayers': $(jqr -c "[$d.stage, $d.step, $d.syscall_layer]")"
[ "$(jqr "$d.earlier | length")" = 1 ] || fail "diskhealth's earlier: $(jqr -c "$d.earlier | length")"
[ "$(jqr "[$d.earlier[0].stage, $d.earlier[0].step, $d.earlier[0].syscall_layer] | join(\"/\")")" = tuesday/probe/false ] ||
	fail "diskhealth's earlier[0]: $(jqr -c "[$d.earlier[0].stage, $d.earlier[0].step, $d.earlier[0].syscall_layer]")"
