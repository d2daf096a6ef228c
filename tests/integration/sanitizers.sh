# sanitizers.sh: the quality gate of the compiler and the sanitizers. friday
# and the unit tests are built again in their own directory ($BUILD/asan)
# with AddressSanitizer and UndefinedBehaviorSanitizer (any undefined
# behaviour aborts) and -Werror on top of the Makefile's -Wall -Wextra, so
# a new warning fails CI too. Then the unit tests, `friday check`, a whole
# `friday run`, a run cut short by SIGINT in a collection window, and three
# integration tests without timing bounds (an instrumented friday is 2-3
# times slower): archive_limits.sh (full disks, cut archives),
# c_syscount_xcheck.sh (exact counts from a BPF collector with -p) and
# redaction.sh (the archive writers) run on that build: any memory error,
# leak or undefined behaviour fails the test.
. tests/lib.sh
need_root

asan="${BUILD:-build}/asan"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Werror"
make -s -j2 BUILD="$asan" EXTRA_CFLAGS="$flags" EXTRA_LDFLAGS="-fsanitize=address,undefined" \
	all unit > "$SCRATCH/build.log" 2>&1 || fail "the ASan/UBSan -Werror build failed: $(grep -E 'error|warning' "$SCRATCH/build.log" | head -20)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# check LOG: no sanitizer report in LOG.
check() {
	! grep -Eq "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$1" ||
		fail "$2: $(grep -E -A25 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$1" | head -60)"
}

for t in "$asan"/tests/test_*; do
	"$t" > "$SCRATCH/unit.log" 2>&1 || { check "$SCRATCH/unit.log" "$t"; fail "$t failed under ASan: $(tail -20 "$SCRATCH/unit.log")"; }
	check "$SCRATCH/unit.log" "$t"
done
echo "unit tests clean under ASan/UBSan"

rc=0
"$asan/friday" check > "$SCRATCH/check.log" 2>&1 || rc=$?
check "$SCRATCH/check.log" "friday check"
[ $rc = 0 ] || fail "friday check under ASan exited $rc: $(tail -5 "$SCRATCH/check.log")"
"$asan/friday" run -d 6 -o "$SCRATCH/run.tar.gz" > "$SCRATCH/run.log" 2>&1 || rc=$?
check "$SCRATCH/run.log" "friday run"
[ $rc = 0 ] || fail "friday run under ASan exited $rc: $(tail -5 "$SCRATCH/run.log")"
unpack "$SCRATCH/run.tar.gz"
echo "friday check and run -d 6 clean under ASan/UBSan ($(jqr '[.stages[].steps[] | select(.status == "ok")] | length') steps ok)"

"$asan/friday" run -v -d 30 -o "$SCRATCH/int.tar.gz" > "$SCRATCH/int.log" 2>&1 &
pid=$!
at_exit "kill -KILL $pid 2>/dev/null"
tries=0
until grep -q "tuesday: health-probes (" "$SCRATCH/int.log"; do
	kill -0 $pid 2>/dev/null || fail "friday ended before Tuesday: $(tail -5 "$SCRATCH/int.log")"
	[ $tries -lt 600 ] || fail "Tuesday did not begin within 60 s"
	sleep 0.1
	tries=$((tries + 1))
done
sleep 2
kill -INT $pid
rc=0
wait $pid || rc=$?
check "$SCRATCH/int.log" "friday run cut by SIGINT"
[ $rc = 0 ] || fail "friday run cut by SIGINT under ASan exited $rc: $(tail -5 "$SCRATCH/int.log")"
unpack "$SCRATCH/int.tar.gz"
[ "$(jqr .run.partial)" = true ] || fail "the SIGINT run is not partial"
echo "a run cut by SIGINT in Tuesday's window is clean under ASan/UBSan"

for t in archive_limits c_syscount_xcheck redaction; do
	if ! FRIDAY="$PWD/$asan/friday" sh tests/integration/$t.sh > "$SCRATCH/$t.log" 2>&1; then
		check "$SCRATCH/$t.log" "$t.sh"
		# archive_limits sizes its tight disk from a first run's profiles;
		# ASan slows sampling enough that the second run can fit uncut.
		# Its behaviour is judged by its own plain run; here only memory
		# errors count.
		[ $t = archive_limits ] && grep -q "nothing was cut" "$SCRATCH/$t.log" ||
			fail "$t.sh failed under ASan: $(tail -20 "$SCRATCH/$t.log")"
		echo "$t.sh: no sanitizer report (its size check did not hold under ASan's slowdown)"
		continue
	fi
	check "$SCRATCH/$t.log" "$t.sh"
	echo "$t.sh passes under ASan/UBSan"
done
echo "sanitizers ok"
