# c_process_churn.sh: the "process churn" known workload (SCENARIOS.md): a
# shell loop running /bin/true. processes must be flagged (implicated) with
# a processes.churn finding that gives the exec rate and names the parent
# (the loop's shell, by pid) and the program (true); no other subsystem may
# be implicated.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

sh -c 'while :; do /bin/true; done' &
wl=$!
at_exit "kill $wl 2>/dev/null"
sleep 0.5
tuesday_run 8 churn
[ "$(verdict processes)" = implicated ] ||
	fail "processes is $(verdict processes): $(jqr -c '.health[] | select(.subsystem == "processes")')"
[ "$(finding_field processes.churn .evidence.parent.pid)" = "$wl" ] ||
	fail "processes.churn names parent $(finding_field processes.churn .evidence.parent.pid), not the loop $wl"
[ "$(finding_field processes.churn .evidence.parent.comm)" = sh ] || fail "parent comm"
[ "$(finding_field processes.churn .evidence.program.comm)" = true ] || fail "program is not true"
rate=$(finding_field processes.churn .evidence.parent.execs_per_s)
awk -v v="$rate" 'BEGIN { exit !(v >= 200) }' || fail "exec rate $rate/s"
only_implicated processes "$wl" 2
echo "process churn: $(finding_field processes.churn .detail)"
