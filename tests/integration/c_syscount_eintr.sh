# c_syscount_eintr.sh: syscount's errors belong to the call that failed.
# build/workloads/c_eintr blocks in read(2) 200 times and is interrupted
# each time by SIGALRM (no SA_RESTART): 200 reads fail with EINTR, and
# each signal's handler ends in rt_sigreturn, which hands the interrupted
# read's -EINTR back to user space. syscount (-p the workload) must count
# 200 failed reads and 200 rt_sigreturns, none of them failed (it had
# counted each as an error: its return value is the restored register).
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

mkfifo "$SCRATCH/go"
"$WORKLOADS/c_eintr" 200 < "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
gated_run 5 "$(xcheck_playbook syscount)" probe $wl -p $wl
[ "$(cat "$SCRATCH/wl.out")" = "eintr 200" ] || fail "the workload: $(cat "$SCRATCH/wl.out")"
sc() { jqr ".measurements.syscount.syscalls[] | select(.name == \"$1\") | .$2"; }
echo "read: $(sc read count) calls, $(sc read errors) failed; rt_sigreturn: $(sc rt_sigreturn count) calls, $(sc rt_sigreturn errors) failed"
[ "$(sc read errors)" = 200 ] || fail "read: $(sc read errors) errors counted, not 200"
[ "$(sc rt_sigreturn count)" = 200 ] || fail "rt_sigreturn: $(sc rt_sigreturn count) calls counted, not 200"
[ "$(sc rt_sigreturn errors)" = 0 ] || fail "rt_sigreturn: $(sc rt_sigreturn errors) errors counted, not 0"
