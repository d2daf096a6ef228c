# c_proclife_xcheck.sh: proclife counts a known number of processes exactly.
# build/workloads/c_fork23 waits on a FIFO, friday watches it (-p: it and
# its children), then it forks 23 children that each exec /bin/true. The
# parent's forks, its children's execs and exits must all be 23 (tolerance:
# none), each child short-lived, and the kernel's own fork counter
# (/proc/stat processes) must have moved by at least as many.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

forks_since_boot() { awk '$1 == "processes" { print $2 }' /proc/stat; }
mkfifo "$SCRATCH/go"
"$WORKLOADS/c_fork23" 23 < "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
pb=$(xcheck_playbook proclife)
"$FRIDAY" run -d 4 --playbook "$pb" -p $wl -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/x.err" &
fr=$!
at_exit "kill $fr 2>/dev/null"
wait_for_step "$SCRATCH/x.err" "probe:" 10
sleep 1.5
before=$(forks_since_boot)
echo go > "$SCRATCH/go"
wait $wl || fail "c_fork23 failed: $(cat "$SCRATCH/wl.out")"
after=$(forks_since_boot)
wait $fr || fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
unpack "$SCRATCH/x.tar.gz"
[ "$(jqr .collectors.proclife.status)" = ok ] || fail "proclife: $(jqr -c .collectors.proclife)"
parent=".measurements.proclife.top_parents[] | select(.pid == $wl)"
for k in forks execs child_exits short_lived; do
	got=$(jqr "$parent | .$k")
	echo "$k of c_fork23's children: ${got:-none} (expected 23)"
	[ "$got" = 23 ] || fail "proclife counted ${got:-no} $k for pid $wl, not 23"
done
[ "$(jqr "$parent | .comm")" = c_fork23 ] || fail "parent comm $(jqr "$parent | .comm")"
[ "$(jqr '.measurements.proclife.top_programs[] | select(.comm == "true") | .execs')" = 23 ] ||
	fail "true exec'd $(jqr '.measurements.proclife.top_programs[] | select(.comm == "true") | .execs') times"
[ "$(jqr '.measurements.proclife.top_programs[] | select(.comm == "true") | .parent_pid')" = "$wl" ] ||
	fail "true's parent is not c_fork23"
echo "kernel fork counter moved by $((after - before)) (host-wide, >= 23)"
[ $((after - before)) -ge 23 ] || fail "/proc/stat processes moved by only $((after - before))"
