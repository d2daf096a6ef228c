# c_syscall_storm.sh: the "syscall storm" known workload (SCENARIOS.md):
# `dd if=/dev/zero of=/dev/null bs=1`. syscalls must be flagged (implicated)
# with a syscalls.storm finding naming dd, its pid and its syscall rate;
# no other subsystem may be implicated.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

dd if=/dev/zero of=/dev/null bs=1 2> /dev/null &
wl=$!
at_exit "kill $wl 2>/dev/null"
sleep 0.5
tuesday_run 8 storm
[ "$(verdict syscalls)" = implicated ] ||
	fail "syscalls is $(verdict syscalls): $(jqr -c '.health[] | select(.subsystem == "syscalls")')"
[ "$(finding_field syscalls.storm .evidence.process.comm)" = dd ] ||
	fail "syscalls.storm names $(finding_field syscalls.storm .evidence.process.comm), not dd"
[ "$(finding_field syscalls.storm .evidence.process.pid)" = "$wl" ] || fail "syscalls.storm: wrong pid"
rate=$(finding_field syscalls.storm .evidence.figure)
awk -v v="$rate" 'BEGIN { exit !(v >= 100000) }' || fail "dd's rate $rate/s"
finding_field syscalls.storm .detail | grep -Eq "(read|write)" || fail "the finding does not name the syscall"
only_implicated syscalls "$wl" 1
echo "syscall storm: dd at $(echo "$rate" | cut -d. -f1) syscalls/s: $(finding_field syscalls.storm .detail)"
