# lock_offcpu.sh: the lock-contention known workload (SCENARIOS.md) seen by
# the off-CPU profile. build/workloads/lock_turns runs 4 threads taking
# turns on one mutex (holding it, a short spin then a sleep), profiled with
# -p. Its off-CPU time must be mostly futex waits, its total blocked time
# must match threads x window within 10%, the voluntary/involuntary split
# must add up, and the SVG and pprof files must be there (pprof read back
# by go tool pprof).
. tests/lib.sh
need_root
threads=4

"$WORKLOADS/lock_turns" 14 $threads & pid=$!
at_exit "kill $pid 2>/dev/null; wait 2>/dev/null"
sleep 0.3

out="$SCRATCH/run.tar.gz"
# --max-overhead 100: the profile's shares and totals are measured whole
# here; sampling down under the overhead budget is stress_cswitch.sh's.
"$FRIDAY" run --max-overhead 100 -d 6 -p $pid --stages wednesday -o "$out" > /dev/null 2> "$SCRATCH/stderr" ||
	fail "friday run exited $?"
kill -0 $pid 2>/dev/null || fail "the workload ended before the run did"
unpack "$out"
off='.profiles[] | select(.kind == "offcpu")'
[ "$(jqr "$off | .unit")" = us ] || fail "offcpu unit is $(jqr "$off | .unit")"
[ "$(jqr "$off | .target")" = "pid $pid" ] || fail "offcpu target is $(jqr "$off | .target")"
folded="$REPORT_DIR/$(jqr "$off | .folded")"
[ -s "$folded" ] || fail "no off-CPU folded file"
grep -v "^lock_turns;" "$folded" | grep -q . && fail "-p $pid let other processes in: $(grep -v '^lock_turns;' "$folded" | head -1)"

total=$(awk '{ s += $NF } END { print s }' "$folded")
[ "$total" = "$(jqr "$off | .total")" ] || fail "total differs from the folded file"
futex=$(awk '/futex_wait/ { s += $NF } END { print s + 0 }' "$folded")
window=$(jqr "$off | .window_s")
echo "blocked ${total} us in ${window} s with $threads threads; futex waits ${futex} us"
awk -v f="$futex" -v t="$total" 'BEGIN { exit !(f > 0.5 * t) }' ||
	fail "futex waits are only $futex of $total us"
awk -v t="$total" -v w="$window" -v n=$threads 'BEGIN { r = t / (n * w * 1e6); exit !(r > 0.9 && r < 1.1) }' ||
	fail "blocked $total us is not $threads x $window s within 10%"
[ "$(jqr "$off | .voluntary_us + .involuntary_us")" = "$total" ] || fail "voluntary + involuntary != total"
[ "$(jqr "$off | .classes_us.locks")" -gt "$(jqr "$off | .classes_us.sleep")" ] ||
	fail "locks class is not the largest: $(jqr -c "$off | .classes_us")"

# The wakeup graph: who woke the waiters (the other lock_turns threads,
# unlocking), in microseconds.
wake='.profiles[] | select(.kind == "wakeup")'
[ "$(jqr "$wake | .unit")" = us ] || fail "no wakeup profile"
grep -q '^lock_turns;\[woken-by\]lock_turns;' "$REPORT_DIR/$(jqr "$wake | .folded")" ||
	fail "no wakeup of lock_turns by lock_turns"

# The writers' files: an off-CPU SVG in blue, a pprof go can read.
svg="$REPORT_DIR/$(jqr "$off | .svg")"
grep -q '<svg' "$svg" && grep -q '</svg>' "$svg" || fail "no SVG flame graph"
grep -q 'futex_wait' "$svg" || fail "the SVG does not show futex_wait"
grep -o 'fill="rgb([0-9]*,[0-9]*,[0-9]*)"' "$svg" | tr -dc '0-9,\n' |
	awk -F, '$1 != $3 && $3 < 190 { bad = 1 } END { exit bad }' || fail "off-CPU SVG is not in blues"
pprof="$REPORT_DIR/$(jqr "$off | .pprof")"
HOME=$SCRATCH GOCACHE=$SCRATCH/gocache go tool pprof -traces "$pprof" > "$SCRATCH/traces" 2>&1 ||
	fail "go tool pprof cannot read $pprof: $(tail -2 "$SCRATCH/traces")"
grep -q futex_wait "$SCRATCH/traces" || fail "pprof traces lack futex_wait"
echo "lock off-CPU ok"
