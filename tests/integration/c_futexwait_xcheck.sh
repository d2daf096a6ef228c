# c_futexwait_xcheck.sh: futexwait measures known futex waits.
# build/workloads/c_futex_known (gated by a FIFO, watched with -p) makes 23
# waits of 20 ms that time out on one word, then 23 waits on another word
# that the main thread wakes 10 ms after each begins. Expected: 23 timeouts
# of 460 ms in all (tolerance +20%/-5%: a timer never fires early) kept out
# of the wait time, and 23 woken waits on the hand-over word of about
# 230 ms in all (tolerance +100%/-5%: the waker's timer slack and run-queue
# delay add to each; up to 4 ms per hand-over were seen on a loaded host).
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

mkfifo "$SCRATCH/go"
"$WORKLOADS/c_futex_known" 23 < "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
pb=$(xcheck_playbook futexwait)
gated_run 5 "$pb" probe $wl -p $wl
[ "$(jqr .collectors.futexwait.status)" = ok ] || fail "futexwait: $(jqr -c .collectors.futexwait)"
handoff=$(awk '{ print $4 }' "$SCRATCH/wl.out")
proc=".measurements.futexwait.futex.processes[] | select(.pid == $wl)"
timeouts=$(jqr "$proc | .timeouts")
timeout_ms=$(jqr "$proc | .timeout_wait_ms")
waits=$(jqr "$proc | .top_addresses[] | select(.uaddr == \"$handoff\") | .waits")
wait_ms=$(jqr "$proc | .top_addresses[] | select(.uaddr == \"$handoff\") | .wait_ms")
echo "timed out: ${timeouts:-none} waits, ${timeout_ms:-?} ms (expected 23, 460 ms);" \
	"woken on $handoff: ${waits:-none} waits, ${wait_ms:-?} ms (expected 23, ~230 ms)"
[ "$timeouts" = 23 ] || fail "counted ${timeouts:-no} timed-out waits, not 23"
awk -v v="$timeout_ms" 'BEGIN { exit !(v >= 437 && v <= 552) }' || fail "timed-out wait $timeout_ms ms"
[ "$waits" = 23 ] || fail "counted ${waits:-no} woken waits on $handoff, not 23"
awk -v v="$wait_ms" 'BEGIN { exit !(v >= 218 && v <= 460) }' || fail "woken wait $wait_ms ms"
