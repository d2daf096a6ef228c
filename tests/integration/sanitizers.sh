# sanitizers.sh: the quality gate of the compiler and the sanitizers. friday
# and the unit tests are built again in their own directory ($BUILD/asan)
# with AddressSanitizer and UndefinedBehaviorSanitizer (any undefined
# behaviour aborts) and -Werror on top of the Makefile's -Wall -Wextra, so
# a new warning fails CI too. Then the unit tests, `friday check`, a whole
# `friday run` and two integration tests (the run contract, and signals
# that cut a run short) run on that build: any memory error, leak or
# undefined behaviour fails the test.
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

for t in archive_contract budgets; do
	FRIDAY="$PWD/$asan/friday" sh tests/integration/$t.sh > "$SCRATCH/$t.log" 2>&1 ||
		{ check "$SCRATCH/$t.log" "$t.sh"; fail "$t.sh failed under ASan: $(tail -20 "$SCRATCH/$t.log")"; }
	check "$SCRATCH/$t.log" "$t.sh"
	echo "$t.sh passes under ASan/UBSan"
done
echo "sanitizers ok"
