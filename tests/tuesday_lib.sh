# tuesday_lib.sh: helpers for the Tuesday tests of the cpu, processes,
# syscalls, locks, network and filesystem probes (tests/scenarios/c_*.sh, tests/integration/c_*.sh).
# Source after tests/lib.sh.

# tuesday_run SECONDS NAME [ARGS...]: `friday run -d SECONDS --stages
# monday,tuesday` into $SCRATCH/NAME.tar.gz, unpacked; every probe must run.
tuesday_run() {
	secs=$1 name=$2
	shift 2
	"$FRIDAY" run -d "$secs" --stages monday,tuesday "$@" -o "$SCRATCH/$name.tar.gz" \
		> "$SCRATCH/$name.out" 2> "$SCRATCH/$name.err" ||
		fail "friday run exited $?: $(tail -5 "$SCRATCH/$name.err")"
	unpack "$SCRATCH/$name.tar.gz"
	for c in runqlat proclife syscount futexwait nethealth fslat; do
		[ "$(jqr ".collectors.$c.status")" = ok ] || fail "collector $c: $(jqr -c ".collectors.$c")"
		# Where tp_btf works each probe loads it: a verifier refusal of
		# that variant would otherwise only show as a fallback.
		[ "$(jqr .capabilities.tp_btf.ok)" != true ] ||
			[ "$(jqr ".measurements.$c.attach")" = tp_btf ] ||
			fail "collector $c fell back to $(jqr ".measurements.$c.attach") on a host with tp_btf"
	done
}

verdict() { jqr ".health[] | select(.subsystem == \"$1\") | .verdict"; }

# foreign_load PIDS: processes other than ours (PIDS, friday) that used 20%
# of a CPU or more in Monday's load window: load from other people on a
# shared machine, printed one per line.
foreign_load() {
	jqr --arg ours " $1 " '.load.top_processes[]? | select(.cpu_pct >= 20) |
		select(.comm != "friday") | .pid as $p | select($ours | contains(" \($p) ") | not) |
		"\(.comm) (pid \(.pid), \(.cpu_pct | floor)% CPU)"'
}

# blamed_pids SUBSYS: the pids a subsystem's verdict and findings name;
# for disk, whose findings name devices, the processes behind its I/O.
blamed_pids() {
	{
		jqr ".health[] | select(.subsystem == \"$1\") | .evidence[]" | grep -o "pid [0-9]*" |
			cut -d' ' -f2
		jqr "[.findings[] | select(.subsystem == \"$1\") | .. | objects | .pid? // empty] | .[]"
		[ "$1" != disk ] || jqr '.measurements.diskhealth.processes[]?.pid'
	} | sort -u
}

# only_implicated SUBSYS PIDS THREADS: no subsystem but SUBSYS is
# implicated. On a shared machine other people's load can implicate one:
# cpu when the runnable threads, less the THREADS ours can add at most,
# still outnumber the CPUs; another subsystem when what it blames names
# processes, none of them ours (PIDS), or names none while Monday saw
# processes not ours busy (foreign_load). That is said, not failed;
# anything else fails.
only_implicated() {
	for s in $(jqr '.health[] | select(.verdict == "implicated") | .subsystem'); do
		[ "$s" = "$1" ] && continue
		why=$(jqr -c "[.health[] | select(.subsystem == \"$s\") | .evidence[]]")
		if [ "$s" = cpu ]; then
			r=$(jqr .measurements.runqlat.runnable.mean)
			cpus=$(jqr .measurements.runqlat.runnable.cpus)
			awk -v r="$r" -v t="$3" -v c="$cpus" 'BEGIN { exit !(r - t > c) }' ||
				fail "cpu implicated (only $1 may be): $why"
			echo "NOTE: cpu implicated by load that is not ours: $r runnable threads on" \
				"$cpus CPUs, at most $3 of them ours"
			continue
		fi
		blamed=$(blamed_pids "$s" | tr '\n' ' ')
		for p in $2; do
			case " $blamed " in *" $p "*) fail "$s implicated, naming our pid $p: $why" ;; esac
		done
		if [ -n "$blamed" ]; then
			echo "NOTE: $s implicated by processes not ours (pids $blamed): $why"
			continue
		fi
		others=$(foreign_load "$2")
		[ -n "$others" ] || fail "$s implicated (only $1 may be): $why"
		echo "NOTE: $s implicated while load not ours ran: $others"
	done
}

# finding_field ID JQ: a field of the first finding with that id.
finding_field() { jqr "[.findings[] | select(.id == \"$1\")][0] | $2"; }

# wait_for_step ERRFILE STEP SECONDS: until friday's progress on stderr says
# the step started (the collectors then load and attach in well under 1 s).
wait_for_step() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($3 * 10)) ] || fail "friday did not reach $2 in $3 s: $(cat "$1")"
		sleep 0.1
	done
}

# gated_run SECONDS PLAYBOOK STEP WORKLOAD_PID [FRIDAY_ARGS...]: the
# cross-checks' run. friday runs PLAYBOOK for SECONDS into
# $SCRATCH/x.tar.gz; once STEP has started and its collectors had time to
# attach, the workload (waiting on the FIFO $SCRATCH/go) is let go; both
# must succeed (the workload's output, if any, in $SCRATCH/wl.out). The
# archive is unpacked. friday goes in at_exit.
gated_run() {
	secs=$1 pb=$2 step=$3 wl=$4
	shift 4
	"$FRIDAY" run -d "$secs" --playbook "$pb" "$@" -o "$SCRATCH/x.tar.gz" > /dev/null \
		2> "$SCRATCH/x.err" &
	fr=$!
	at_exit "kill $fr 2>/dev/null"
	wait_for_step "$SCRATCH/x.err" "$step:" 10
	sleep 1.5
	echo go > "$SCRATCH/go"
	wait "$wl" || fail "the workload failed: $(cat "$SCRATCH/wl.out" 2>/dev/null)"
	wait $fr || fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
	unpack "$SCRATCH/x.tar.gz"
}

# xcheck_playbook COLLECTOR: a one-step Tuesday playbook for cross-checks.
xcheck_playbook() {
	cat > "$SCRATCH/xcheck.json" <<JSON
{ "name": "xcheck-$1", "description": "cross-check of $1",
  "stages": [ { "id": "tuesday", "title": "one probe",
    "steps": [ { "id": "probe", "run": "collect", "weight": 1, "collectors": ["$1"] } ] } ] }
JSON
	echo "$SCRATCH/xcheck.json"
}

# within VALUE REFERENCE PCT: VALUE is within PCT percent of REFERENCE.
within() { awk -v v="$1" -v r="$2" -v p="$3" 'BEGIN { d = v - r; if (d < 0) d = -d; exit !(d <= r * p / 100) }'; }
