# hot_function.sh: the "hot function" known workload (SCENARIOS.md). Three
# processes spin at once while `friday run` profiles the whole host:
#   - build/workloads/hot_function (PIE, -O2 -g, no frame pointers);
#   - a stripped copy whose debug file sits under
#     /usr/lib/debug/.build-id/xx/yyyy.debug (removed at the end);
#   - a program spinning in a shared library built here.
# They run in a cgroup v2 of their own and the run profiles that cgroup
# (--cgroup, at -F 199), so same-named processes of other tests on this
# host stay out. Each one's CPU samples must mostly end in its named hot
# function, and the folded file must be in the FlameGraph format.
. tests/lib.sh
need_root

cp "$WORKLOADS/hot_function" "$SCRATCH/hot_strip_e"
objcopy --only-keep-debug "$SCRATCH/hot_strip_e" "$SCRATCH/hot_strip_e.debug"
strip --strip-all "$SCRATCH/hot_strip_e"
nm "$SCRATCH/hot_strip_e" 2>/dev/null | grep -q friday_hot_spin && fail "strip left the symbol in"
bid=$(readelf -n "$SCRATCH/hot_strip_e" | awk '/Build ID/ { print $3 }')
[ -n "$bid" ] || fail "no build-id in the workload"
dbgdir=/usr/lib/debug/.build-id/$(echo "$bid" | cut -c1-2)
dbgfile=$dbgdir/$(echo "$bid" | cut -c3-).debug
[ -e "$dbgfile" ] && fail "$dbgfile exists already; not touching it"
at_exit "rm -f '$dbgfile'; rmdir -p '$dbgdir' 2>/dev/null"
mkdir -p "$dbgdir"
cp "$SCRATCH/hot_strip_e.debug" "$dbgfile"

cat > "$SCRATCH/libfridayhot_e.c" <<'C'
__attribute__((noinline)) double friday_lib_spin(long iters)
{
	double x = 1.0;

	for (long i = 0; i < iters; i++)
		x = x * 1.0000001 + 1e-9;
	return x;
}
C
cat > "$SCRATCH/hot_lib_e.c" <<'C'
#include <stdlib.h>
#include <time.h>
double friday_lib_spin(long iters);
volatile double sink;
int main(int argc, char **argv)
{
	time_t end = time(NULL) + atoi(argv[1]);

	while (time(NULL) < end)
		sink = friday_lib_spin(2000000);
	return 0;
}
C
cc -O2 -g -fPIC -shared -fomit-frame-pointer -o "$SCRATCH/libfridayhot_e.so" "$SCRATCH/libfridayhot_e.c"
cc -O2 -g -fPIE -pie -o "$SCRATCH/hot_lib_e" "$SCRATCH/hot_lib_e.c" -L"$SCRATCH" -lfridayhot_e \
	-Wl,-rpath,"$SCRATCH"

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || fail "no cgroup2 mount"
cg="$cg2/friday-hot-e-$$"
mkdir "$cg"
# The cleanups run in a subshell that cannot wait for the workloads: retry
# the rmdir until the killed processes have left the cgroup.
at_exit "for i in 1 2 3 4 5 6 7 8 9 10; do rmdir '$cg' 2>/dev/null && break; sleep 0.2; done"
"$WORKLOADS/hot_function" 12 & p1=$!
"$SCRATCH/hot_strip_e" 12 & p2=$!
"$SCRATCH/hot_lib_e" 12 & p3=$!
at_exit "kill $p1 $p2 $p3 2>/dev/null; wait 2>/dev/null"
for p in $p1 $p2 $p3; do echo $p > "$cg/cgroup.procs"; done
sleep 0.3

out="$SCRATCH/run.tar.gz"
# --max-overhead 100: the profile's shares and totals are measured whole
# here; sampling down under the overhead budget is stress_cswitch.sh's.
"$FRIDAY" run --max-overhead 100 -d 6 -F 199 --cgroup "$cg" --stages wednesday -o "$out" > /dev/null \
	2> "$SCRATCH/stderr" || fail "friday run exited $?"
unpack "$out"
jqr '.profiles[] | select(.kind == "cpu") | .target' | grep -q "cgroup v2 $cg" ||
	fail "the profile's target is not the cgroup: $(jqr '.profiles[0].target')"
[ "$(jqr '.profiles[] | select(.kind == "cpu") | .frequency_hz')" = 199 ] || fail "-F 199 was not used"
folded="$REPORT_DIR/$(jqr '.profiles[] | select(.kind == "cpu") | .folded')"
[ -s "$folded" ] || fail "no CPU folded profile in the archive"
[ "$(jqr '.profiles[] | select(.kind == "cpu") | .unit')" = samples ] || fail "cpu unit is not samples"
grep -Evq '^[^; ][^;]*(;[^;]+)* [0-9]+$' "$folded" && fail "a line is not in the folded format: $(grep -Ev '^[^; ][^;]*(;[^;]+)* [0-9]+$' "$folded" | head -1)"
total=$(awk '{ s += $NF } END { print s }' "$folded")
others=$(grep -Ev '^(hot_function|hot_strip_e|hot_lib_e);' "$folded" | head -3)
[ -z "$others" ] || fail "--cgroup let other processes in: $others"
[ "$total" = "$(jqr '.profiles[] | select(.kind == "cpu") | .total')" ] || fail "total differs from the folded file"

# leaf_share PROCESS FUNCTION: percent of PROCESS's samples whose leaf is FUNCTION.
leaf_share() {
	awk -v p="$1" -v f="$2" '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, fr, ";");
		if (fr[1] != p) next; all += n; if (fr[k] == f) hot += n }
		END { if (all < 20) { print "few:" all; exit } printf "%d\n", 100 * hot / all }' "$folded"
}
for case in "hot_function friday_hot_spin" "hot_strip_e friday_hot_spin" "hot_lib_e friday_lib_spin"; do
	set -- $case
	share=$(leaf_share "$1" "$2")
	echo "$1: $share% of its samples end in $2"
	case "$share" in few:*) fail "$1 has only ${share#few:} samples";; esac
	[ "$share" -ge 75 ] || fail "$1: only $share% of samples end in $2 (top: $(grep "^$1;" "$folded" | sort -k2 -nr -t' ' | head -3))"
done
echo "hot function ok: $total samples"
