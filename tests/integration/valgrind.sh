# valgrind.sh: the memcheck gate: `friday check` and `friday run -d 3` (the
# normal build) under valgrind's memcheck report no memory error and no
# leak (definitely or indirectly lost). Suppressions, each justified in
# tests/valgrind/friday.supp, cover only library-internal noise.
# The run skips Monday: its capability trial of uprobes puts a breakpoint
# into friday's own code, which valgrind's translated copy executes as a
# real trap (SIGTRAP). Monday's checks are covered by `friday check` here,
# the trials by sanitizers.sh.
. tests/lib.sh
need_root

command -v valgrind > /dev/null || fail "valgrind is not installed (make deps installs it)"
vg() {
	name=$1
	shift
	rc=0
	valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--suppressions=tests/valgrind/friday.supp --log-file="$SCRATCH/$name.vg" \
		"$FRIDAY" "$@" > "$SCRATCH/$name.out" 2>&1 || rc=$?
	[ $rc != 99 ] || fail "memcheck: friday $*: $(grep -E -A20 'Invalid|uninitialised|definitely lost in|indirectly lost in|Syscall param' "$SCRATCH/$name.vg" | head -60)"
	[ $rc = 0 ] || fail "friday $* under valgrind exited $rc: $(tail -5 "$SCRATCH/$name.out")"
	echo "friday $*: $(grep -E 'ERROR SUMMARY' "$SCRATCH/$name.vg" | sed 's/^==[0-9]*== //')"
	grep -E "definitely lost|indirectly lost" "$SCRATCH/$name.vg" | sed 's/^==[0-9]*== /  /'
}
vg check check
vg run run -d 3 --stages tuesday,wednesday,thursday -o "$SCRATCH/run.tar.gz"
# a collector re-run by a later step: its earlier measurements are kept
vg twice run -d 4 --playbook tests/fixtures/playbooks/twice.json -o "$SCRATCH/twice.tar.gz"
unpack "$SCRATCH/run.tar.gz"
echo "valgrind ok"
