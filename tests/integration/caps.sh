# caps.sh: `friday caps` tries every capability for real, fast, and each
# row says ok and why. On this host the trials are cross-checked against
# evidence gathered without them (sysfs, tracefs, /proc), the trial programs
# are all gone afterwards, and as nobody the same command says what is
# missing instead of failing.
. tests/lib.sh
need_root

rows="root process_caps btf tracefs tracepoint tp_btf raw_tp fentry kprobe uprobe
perf_sampling hw_counters ringbuf bpf_stats task_storage stack_trace lock_contention
perf_event_paranoid kptr_restrict cgroup_v1 cgroup_v2 psi lockdown"

start_ns=$(date +%s%N)
"$FRIDAY" caps --json > "$SCRATCH/caps.json" 2> "$SCRATCH/caps.err" || fail "friday caps --json exited $?"
took_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "friday caps --json took $took_ms ms"
[ "$took_ms" -lt 1000 ] || fail "probing all capabilities took $took_ms ms, not well under a second"
[ ! -s "$SCRATCH/caps.err" ] || fail "friday caps printed on stderr without -v: $(head -3 "$SCRATCH/caps.err")"

cap() { jq -r --arg n "$1" ".[\$n].$2" "$SCRATCH/caps.json"; }
for n in $rows; do
	[ "$(cap "$n" 'ok | type')" = boolean ] || fail "capability $n has no boolean ok"
	[ -n "$(cap "$n" 'reason // empty')" ] || fail "capability $n has no reason"
	if [ "$(cap "$n" ok)" = false ]; then
		# a "no" says what friday does instead
		cap "$n" reason | grep -Eq 'instead|unavailable|not measured|no |run as root|stay' ||
			fail "capability $n is no, but its reason does not say what friday does: $(cap "$n" reason)"
	fi
done
[ "$(jq length "$SCRATCH/caps.json")" = "$(echo $rows | wc -w)" ] || fail "unexpected rows: $(jq -c keys "$SCRATCH/caps.json")"

# expect NAME yes|no WHY: the trial agrees with the independent evidence.
expect() {
	want=$([ "$2" = yes ] && echo true || echo false)
	[ "$(cap "$1" ok)" = "$want" ] || fail "$1 is $(cap "$1" ok), but $3 (reason: $(cap "$1" reason))"
}
yes_if() { n=$1; shift; desc=$1; shift; if "$@"; then expect "$n" yes "$desc"; else expect "$n" no "not: $desc"; fi; }

yes_if root "uid is 0" [ "$(id -u)" = 0 ]
yes_if btf "/sys/kernel/btf/vmlinux exists" [ -r /sys/kernel/btf/vmlinux ]
yes_if tracefs "tracefs is mounted" grep -q ' tracefs ' /proc/mounts
yes_if tracepoint "sched_switch has a tracefs id" [ -r /sys/kernel/tracing/events/sched/sched_switch/id ]
yes_if tp_btf "vmlinux BTF exists" [ -r /sys/kernel/btf/vmlinux ]
yes_if raw_tp "sched_switch is a tracepoint" [ -d /sys/kernel/tracing/events/sched/sched_switch ]
yes_if kprobe "the kernel has kprobe_events or a kprobe PMU" \
	sh -c '[ -e /sys/kernel/tracing/kprobe_events ] || [ -e /sys/bus/event_source/devices/kprobe ]'
yes_if uprobe "the kernel has uprobe_events or a uprobe PMU" \
	sh -c '[ -e /sys/kernel/tracing/uprobe_events ] || [ -e /sys/bus/event_source/devices/uprobe ]'
yes_if perf_sampling "there is a software PMU" [ -d /sys/bus/event_source/devices/software ]
yes_if stack_trace "there is a software PMU" [ -d /sys/bus/event_source/devices/software ]
yes_if hw_counters "a CPU PMU lists cpu-cycles" \
	sh -c 'ls /sys/bus/event_source/devices/*/events/cpu-cycles >/dev/null 2>&1'
yes_if lock_contention "lock:contention_begin is in tracefs" [ -d /sys/kernel/tracing/events/lock/contention_begin ]
yes_if bpf_stats "kernel.bpf_stats_enabled exists" [ -e /proc/sys/kernel/bpf_stats_enabled ]
kver=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
yes_if ringbuf "the kernel is 5.8 or later" [ "$kver" -ge 508 ]
yes_if task_storage "the kernel is 5.11 or later with BTF" sh -c "[ $kver -ge 511 ] && [ -r /sys/kernel/btf/vmlinux ]"
yes_if psi "/proc/pressure/cpu is readable" [ -r /proc/pressure/cpu ]

# Reasons carry the facts they rest on.
cap perf_event_paranoid reason | grep -q "^$(cat /proc/sys/kernel/perf_event_paranoid):" ||
	fail "perf_event_paranoid reason does not start with the sysctl's value"
cap kptr_restrict reason | grep -q "kptr_restrict $(cat /proc/sys/kernel/kptr_restrict)" ||
	fail "kptr_restrict reason does not give the sysctl's value"
capeff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
cap process_caps reason | grep -q "CapEff $capeff" || fail "process_caps reason does not give CapEff $capeff"
if [ "$(cap kprobe ok)" = false ]; then
	cap kprobe reason | grep -Eq '(attach|load) failed: E[A-Z]+ .*CONFIG_KPROBES.*tracepoints instead' ||
		fail "kprobe reason lacks the phase, errno, cause or fallback: $(cap kprobe reason)"
fi
if [ "$(cap fentry ok)" = false ]; then
	cap fentry reason | grep -Eq '(open|load|attach) failed: E[A-Z]+ \(|never ran' ||
		fail "fentry reason lacks the phase and errno: $(cap fentry reason)"
fi
if [ "$(cap ringbuf ok)" = true ]; then
	cap ringbuf reason | grep -Eq '[1-9][0-9]* records reserved in the kernel and read back' ||
		fail "ringbuf is yes without records read back"
fi
if [ "$(cap bpf_stats ok)" = true ]; then
	cap bpf_stats reason | grep -Eq 'run_cnt [1-9]' || fail "bpf_stats is yes without a run_cnt"
fi

# Every trial freed what it loaded: no trial program is left in the kernel.
if command -v bpftool >/dev/null; then
	left=$(bpftool prog show 2>/dev/null | grep -c ' name trial_' || true)
	[ "$left" = 0 ] || fail "$left trial programs are still loaded after friday caps"
fi

# The table view says the same as --json; -v brings libbpf's messages back.
"$FRIDAY" caps > "$SCRATCH/caps.txt" || fail "friday caps exited $?"
for n in $rows; do
	want=$([ "$(cap "$n" ok)" = true ] && echo yes || echo no)
	grep -Eq "^$n +$want " "$SCRATCH/caps.txt" || fail "table row for $n is not '$want'"
done
head -1 "$SCRATCH/caps.txt" | grep -Eq '^friday caps: [0-9]+ of [0-9]+ work on this host \(tried in [0-9]+ ms\)' ||
	fail "no summary line: $(head -1 "$SCRATCH/caps.txt")"
"$FRIDAY" caps -v > /dev/null 2> "$SCRATCH/caps-v.err" || fail "friday caps -v exited $?"
grep -q "tried in" "$SCRATCH/caps-v.err" || fail "caps -v does not time each trial"
if [ "$(cap kprobe ok)" = false ] || [ "$(cap fentry ok)" = false ]; then
	grep -q "libbpf:" "$SCRATCH/caps-v.err" || fail "caps -v does not show libbpf's messages"
fi

# report.json holds the same rows.
"$FRIDAY" run -d 2 --stages monday -o "$SCRATCH/run.tar.gz" > /dev/null 2>&1 || fail "friday run exited $?"
unpack "$SCRATCH/run.tar.gz"
[ "$(jqr '.capabilities | keys | sort | join(" ")')" = "$(jq -r 'keys | sort | join(" ")' "$SCRATCH/caps.json")" ] ||
	fail "report.json capabilities differ from friday caps"
for n in tp_btf kprobe hw_counters uprobe; do
	[ "$(jqr ".capabilities.$n.ok")" = "$(cap $n ok)" ] || fail "report.json says $n $(jqr ".capabilities.$n.ok")"
done

# As nobody: the same command, exit 0, and a plain message of what is needed.
chmod 755 "$SCRATCH"
cp "$FRIDAY" "$SCRATCH/friday" && chmod 755 "$SCRATCH/friday"
(cd "$SCRATCH" && setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps=-all \
	./friday caps --json > "$SCRATCH/nobody.json" 2> "$SCRATCH/nobody.err") ||
	fail "friday caps as nobody exited $?"
grep -q "sudo friday caps" "$SCRATCH/nobody.err" || fail "as nobody, caps does not say to run it as root"
grep -q "lacking CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON" "$SCRATCH/nobody.err" ||
	fail "as nobody, caps does not name the missing capabilities: $(cat "$SCRATCH/nobody.err")"
[ "$(jq -r .root.ok "$SCRATCH/nobody.json")" = false ] || fail "as nobody, root is ok"
jq -r .process_caps.reason "$SCRATCH/nobody.json" | grep -q "lacks CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON" ||
	fail "as nobody, process_caps does not name the missing ones"
for n in tracepoint tp_btf raw_tp uprobe perf_sampling ringbuf; do
	[ "$(jq -r ".$n.ok" "$SCRATCH/nobody.json")" = false ] || fail "as nobody, $n is ok"
	jq -r ".$n.reason" "$SCRATCH/nobody.json" | grep -q "EPERM.*without root" ||
		fail "as nobody, $n does not say the kernel refused it for privilege: $(jq -r ".$n.reason" "$SCRATCH/nobody.json")"
done
[ "$(jq -r .psi.ok "$SCRATCH/nobody.json")" = "$(cap psi ok)" ] || fail "psi differs as nobody, yet needs no privilege"
echo "caps ok: $took_ms ms, $(jq '[.[] | select(.ok)] | length' "$SCRATCH/caps.json") of $(jq length "$SCRATCH/caps.json") work"
