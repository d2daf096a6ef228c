# c_cgroup_filter.sh: --cgroup restricts the Tuesday probes to one cgroup v2
# group. Two identical syscall storms (dd bs=1) run, one inside a cgroup v2
# group made for the test, one outside; syscount with --cgroup
# must see the one inside and nothing outside, and a cgroup v1 path must be
# refused with a reason.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$v2" ] || fail "no cgroup v2 hierarchy mounted"
cg="$v2/friday-helper-c-$$"
mkdir "$cg" || fail "cannot make $cg"
# Cleanups run in a subshell (no wait there): empty the group, then remove
# it (cgroup.procs always has size 0: read it, do not test -s).
at_exit "cg_remove '$cg'"
sh -c "echo \$\$ > '$cg/cgroup.procs' && exec dd if=/dev/zero of=/dev/null bs=1" 2> /dev/null &
inside=$!
dd if=/dev/zero of=/dev/null bs=1 2> /dev/null &
outside=$!
at_exit "kill $outside 2>/dev/null"
sleep 0.3
grep -qx "$inside" "$cg/cgroup.procs" || fail "dd $inside is not in $cg"

pb=$(xcheck_playbook syscount)
"$FRIDAY" run -d 3 --playbook "$pb" --cgroup "$cg" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/x.err" ||
	fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
unpack "$SCRATCH/x.tar.gz"
[ "$(jqr .collectors.syscount.status)" = ok ] || fail "syscount: $(jqr -c .collectors.syscount)"
pids=$(jqr '[.measurements.syscount.processes[].pid] | map(tostring) | join(" ")')
echo "--cgroup $cg: syscount saw pids [$pids]; dd inside $inside, outside $outside"
[ "$pids" = "$inside" ] || fail "expected only pid $inside, saw [$pids]"
[ "$(jqr .measurements.syscount.filter.cgroup)" = "$cg" ] || fail "filter not recorded"

v1=/sys/fs/cgroup/cpu
if [ -d "$v1" ] && [ "$(stat -f -c %T "$v1")" != cgroup2fs ]; then
	"$FRIDAY" run -d 2 --playbook "$pb" --cgroup "$v1" -o "$SCRATCH/v1.tar.gz" > /dev/null 2>&1 ||
		fail "friday run with a v1 cgroup exited $?"
	unpack "$SCRATCH/v1.tar.gz"
	[ "$(jqr .collectors.syscount.status)" = failed ] || fail "a v1 --cgroup was not refused"
	jqr .collectors.syscount.reason | grep -q "cgroup v2" || fail "no reason: $(jqr .collectors.syscount.reason)"
	echo "v1 path refused: $(jqr .collectors.syscount.reason)"
fi
