# c_runqlat_xcheck.sh: runqlat's time queued for a process agrees with the
# kernel's own schedstat run_delay. build/workloads/c_spinners runs 3
# threads per CPU for 3 s inside the window and prints the run_delay its
# threads accumulated (/proc/thread-self/schedstat, read by each thread as it
# ends); runqlat's total_queued_ms for its pid must be within 15% (both
# measure wake-up or preemption to running; the 15% covers the last slices
# after each thread read its own counter). The window closes 3 s after the
# spinners' deadline: on a loaded host a queued thread can take a while to
# see its deadline, and queueing after the window is not runqlat's to see.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

pb=$(xcheck_playbook runqlat)
"$FRIDAY" run -d 9 --playbook "$pb" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/x.err" &
fr=$!
at_exit "kill $fr 2>/dev/null"
wait_for_step "$SCRATCH/x.err" "probe:" 10
sleep 1
"$WORKLOADS/c_spinners" 3 > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
wait $wl || fail "c_spinners failed"
wait $fr || fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
unpack "$SCRATCH/x.tar.gz"
[ "$(jqr .collectors.runqlat.status)" = ok ] || fail "runqlat: $(jqr -c .collectors.runqlat)"
kernel_ms=$(awk '{ printf "%.1f\n", $4 / 1e6 }' "$SCRATCH/wl.out")
probe_ms=$(jqr ".measurements.runqlat.top_processes[] | select(.pid == $wl) | .total_queued_ms")
echo "c_spinners ($(cut -d' ' -f2 "$SCRATCH/wl.out") threads): schedstat run_delay $kernel_ms ms," \
	"runqlat ${probe_ms:-none} ms ($(jqr .measurements.runqlat.attach))"
[ -n "$probe_ms" ] || fail "c_spinners (pid $wl) is not among runqlat's top processes"
awk -v k="$kernel_ms" 'BEGIN { exit !(k > 100) }' || fail "spinners queued only $kernel_ms ms: no saturation"
within "$probe_ms" "$kernel_ms" 15 || fail "runqlat $probe_ms ms vs schedstat $kernel_ms ms: more than 15% apart"
[ "$(jqr .measurements.runqlat.lost_events)" = 0 ] || fail "lost events"
