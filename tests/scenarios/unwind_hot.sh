# unwind_hot.sh: whole CPU stacks without frame pointers (issue 5). Two
# copies of build/workloads/hot_function (PIE, -O2 -g, no frame pointers)
# spin in a cgroup of their own, profiled with --cgroup at -F 199:
#   - hot_function itself: auto mode must pick it by its binary (no
#     function sets up a frame pointer) before the window opens, and
#     most of its samples that end in friday_hot_spin must carry the whole
#     chain main -> spin -> friday_hot_spin (DWARF unwinding through CFI);
#   - hot_nosym_e, a copy stripped of every symbol: nothing to judge the
#     binary by, so auto mode must pick it by its frame-pointer walks
#     (1-2 frames deep) during the window, in the CPU or off-CPU profile,
#     and its unwound stacks must reach its _start.
# A second run with --unwind fp shows the same workload without the chain,
# so the first assertion measures the unwinding and not the workload.
. tests/lib.sh
need_root

# Bad values are usage errors (exit 2) that name the option.
"$FRIDAY" run --unwind frames -d 1 > /dev/null 2> "$SCRATCH/usage" && fail "--unwind frames was accepted"
[ $? = 2 ] && grep -q -- '--unwind takes dwarf, fp or auto' "$SCRATCH/usage" ||
	fail "--unwind frames: $(cat "$SCRATCH/usage")"
"$FRIDAY" run --unwind-stack 64 -d 1 > /dev/null 2> "$SCRATCH/usage" && fail "--unwind-stack 64 was accepted"
grep -q -- '--unwind-stack needs KiB from 1 to 32' "$SCRATCH/usage" || fail "--unwind-stack 64: $(cat "$SCRATCH/usage")"

cp "$WORKLOADS/hot_function" "$SCRATCH/hot_nosym_e"
strip --strip-all "$SCRATCH/hot_nosym_e"

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$cg2" ] || fail "no cgroup2 mount"
cg="$cg2/friday-unwhot-e-$$"
mkdir "$cg"
at_exit "for i in 1 2 3 4 5 6 7 8 9 10; do rmdir '$cg' 2>/dev/null && break; sleep 0.2; done"
"$WORKLOADS/hot_function" 20 & p1=$!
"$SCRATCH/hot_nosym_e" 20 & p2=$!
at_exit "kill $p1 $p2 2>/dev/null; wait 2>/dev/null"
for p in $p1 $p2; do echo $p > "$cg/cgroup.procs"; done
sleep 0.3

# chain_share FOLDED: percent of hot_function's samples ending in
# friday_hot_spin whose stack has main -> spin -> friday_hot_spin.
chain_share() {
	awk '{ n = $NF; sub(/ [0-9]+$/, ""); k = split($0, fr, ";");
		if (fr[1] != "hot_function" || fr[k] != "friday_hot_spin") next; hot += n;
		if ($0 ~ /;main;spin(_\[i\])?;friday_hot_spin$/) chain += n }
		END { if (hot < 20) { print "few:" hot; exit } printf "%d\n", 100 * chain / hot }' "$1"
}

out="$SCRATCH/dwarf.tar.gz"
# --max-overhead 100: the profile's shares and totals are measured whole
# here; sampling down under the overhead budget is stress_cswitch.sh's.
"$FRIDAY" run --max-overhead 100 -d 5 -F 199 --cgroup "$cg" --stages wednesday -o "$out" > /dev/null \
	2> "$SCRATCH/stderr" || fail "friday run exited $?"
unpack "$out"
cpu='.profiles[] | select(.kind == "cpu")'
folded="$REPORT_DIR/$(jqr "$cpu | .folded")"
[ -s "$folded" ] || fail "no CPU folded profile"
[ "$(jqr "$cpu | .unwind.mode")" = auto ] || fail "unwind mode is not auto by default"
jqr -c "$cpu | .unwind.processes[]" > "$SCRATCH/procs"
grep "\"pid\":$p1," "$SCRATCH/procs" | grep -q 'lacks frame pointers' ||
	fail "hot_function not selected by its binary: $(cat "$SCRATCH/procs")"
# Its walks are judged from its first 16: CPU samples on a quiet host,
# and also (the off-CPU collector judges them too, and a process one
# selects both unwind) the preemptions that a loaded host gives it.
jqr -c '.profiles[] | select(.kind == "cpu" or .kind == "offcpu") | .unwind.processes[]' |
	grep "\"pid\":$p2," | grep -q 'frame-pointer stacks were 1-2 frames deep' ||
	fail "the stripped copy not selected by its walks: $(jqr -c '.profiles[] | .unwind.processes')"
share=$(chain_share "$folded")
echo "dwarf: $share% of hot_function's friday_hot_spin samples carry main;spin;friday_hot_spin"
case "$share" in few:*) fail "hot_function has only ${share#few:} samples in friday_hot_spin";; esac
[ "$share" -ge 80 ] || fail "only $share% carry the chain (top: $(grep '^hot_function;' "$folded" | sort -t' ' -k2 -nr | head -3))"
# The stripped copy's unwound stacks reach its _start through libc,
# though its own frames have no names.
offfolded="$REPORT_DIR/$(jqr '.profiles[] | select(.kind == "offcpu") | .folded')"
cat "$folded" "$offfolded" |
	grep -Eq '^hot_nosym_e;hot_nosym_e\+0x[0-9a-f]+;__libc_start_main[^;]*;__libc_start_call_main;' ||
	fail "the stripped copy's stacks do not reach _start: $(grep -h '^hot_nosym_e;' "$folded" "$offfolded" | sort -t' ' -k2 -nr | head -2)"
# What it cost and what it could not do are reported.
stacks=$(jqr "$cpu | .unwind.stacks")
[ "$stacks" -gt 0 ] || fail "no unwound stacks reported"
truncated=$(jqr "$cpu | .unwind.truncated")
echo "unwound $stacks stacks, $truncated truncated, $(jqr "$cpu | .unwind.bytes_per_s") bytes/s copied, $(jqr "$cpu | .unwind.unwind_s") s unwinding"
[ "$truncated" -le $((stacks / 10)) ] || fail "$truncated of $stacks stacks truncated"
awk -v b="$(jqr '.overhead.profile.unwind.bytes_per_s')" -v t="$(jqr '.overhead.profile.unwind.unwind_s')" \
	'BEGIN { exit !(b > 0 && t > 0) }' || fail "overhead.profile.unwind lacks bytes_per_s or unwind_s"
grep -q 'friday_hot_spin' "$REPORT_DIR/$(jqr "$cpu | .svg")" || fail "the SVG lacks friday_hot_spin"
grep -q "$stacks user stacks unwound with DWARF ($truncated truncated)" "$REPORT_DIR/report.html" ||
	fail "report.html does not say how many stacks were unwound"

out="$SCRATCH/fp.tar.gz"
"$FRIDAY" run --max-overhead 100 -d 4 -F 199 --cgroup "$cg" --stages wednesday --unwind fp -o "$out" > /dev/null \
	2> "$SCRATCH/stderr" || fail "friday run --unwind fp exited $?"
unpack "$out"
folded="$REPORT_DIR/$(jqr "$cpu | .folded")"
[ "$(jqr "$cpu | .unwind.mode")" = fp ] || fail "--unwind fp not taken"
[ "$(jqr "$cpu | .unwind.stacks")" = 0 ] || fail "--unwind fp still unwound stacks"
fp_share=$(chain_share "$folded")
echo "fp: $fp_share% carry the chain"
case "$fp_share" in few:*) fail "hot_function has only ${fp_share#few:} samples with --unwind fp";; esac
[ "$fp_share" -lt 20 ] || fail "frame-pointer walks alone carried the chain in $fp_share%: the workload has frame pointers?"
echo "unwind hot ok"
