#!/bin/sh
# run.sh: runs every test (cmocka unit tests, then the integration and
# known-workload scenario scripts, as root) and ends with one line
# "N passed, N failed". Called by `make test`; ONLY=PATTERN runs a subset.
BUILD=${BUILD:-build}
export BUILD FRIDAY="$PWD/$BUILD/friday" WORKLOADS="$PWD/$BUILD/workloads"
passed=0
failed=0
failures=""
logdir="$BUILD/test-logs"
mkdir -p "$logdir"

run_one() {
	name=$1
	shift
	case "$name" in *"${ONLY:-}"*) ;; *) return ;; esac
	start=$(date +%s)
	if "$@" >"$logdir/$(basename "$name").log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS $name ($(($(date +%s) - start)) s)"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "FAIL $name ($(($(date +%s) - start)) s); its log:"
		sed 's/^/    /' "$logdir/$(basename "$name").log" | tail -40
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] && run_one "$t" "$t"
done
for t in tests/integration/*.sh tests/scenarios/*.sh; do
	[ -f "$t" ] && run_one "$t" sh "$t"
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
