# guide.sh: `friday guide` driven through standard input, as a script would:
# the problem statement's answers land in report.run.problem_statement (with
# the numeric answer enforced), a numbered choice runs a drill-down the
# verdicts do not point at, a named process becomes the target, and q or
# the end of input in the middle still leaves a partial archive with the
# answers given so far.
. tests/lib.sh

# A process with a name of our own, to point the guide at.
cp /bin/sleep "$SCRATCH/fgsleep$$"
"$SCRATCH/fgsleep$$" 300 &
sleeper=$!
at_exit "kill $sleeper 2>/dev/null"
# Until it has exec'd, it still carries the shell's name.
for i in $(seq 50); do
	[ "$(cat /proc/$sleeper/comm)" = fgsleep$$ ] && break
	sleep 0.1
done

# 1. A whole week (tests/fixtures/playbooks/guide-week.json: no judge step,
# so no verdict on this busy shared machine can suggest the drill-down):
# answers, a bad number then a good one, a bad menu choice then go on to
# wednesday, then 2 = thursday with the CPU drill-down although the
# verdicts do not point at it.
week=tests/fixtures/playbooks/guide-week.json
out="$SCRATCH/week.tar.gz"
printf '%s\n' "the API is slow" "yes, until Monday" "a deploy on Monday" \
	"p99 request latency" "fast" "250 ms" "20 ms" "every client" "nothing to add" \
	fgsleep$$ 9 1 2 > "$SCRATCH/answers"
"$FRIDAY" guide --playbook "$week" -d 3 -o "$out" < "$SCRATCH/answers" > "$SCRATCH/stdout" 2> "$SCRATCH/stderr" ||
	fail "guide exited $?: $(cat "$SCRATCH/stderr")"
unpack "$out"
ps='.run.problem_statement'
[ "$(jqr "$ps.symptom")" = "the API is slow" ] || fail "symptom: $(jqr "$ps.symptom")"
[ "$(jqr "$ps.performed_well")" = "yes, until Monday" ] || fail "performed_well"
[ "$(jqr "$ps.changes")" = "a deploy on Monday" ] || fail "changes"
[ "$(jqr "$ps.affected")" = "every client" ] || fail "affected"
[ "$(jqr "$ps.environment.notes")" = "nothing to add" ] || fail "environment notes"
jqr "$ps.environment.seen" | grep -q "CPUs" || fail "environment not filled from the inventory"
[ "$(jqr -c "$ps.problem_metric")" = '{"name":"p99 request latency","unit":"ms","current":250,"expected":20,"percentile":99}' ] ||
	fail "problem_metric: $(jqr -c "$ps.problem_metric")"
[ "$(jqr "[$ps.answers[].id] | join(\",\")")" = "M-PS-1,M-PS-2,M-PS-3,M-PS-4,M-PS-5,M-PS-6" ] ||
	fail "answers: $(jqr -c "[$ps.answers[].id]")"
[ "$(jqr .run.problem)" = "the API is slow" ] || fail "run.problem"
grep -q "a number, please" "$SCRATCH/stdout" || fail "'fast' was taken as a number"
grep -q "a number from 1 to" "$SCRATCH/stdout" || fail "choice 9 was accepted"
[ "$(jqr .run.target)" = "pid $sleeper" ] || fail "target is $(jqr .run.target), not pid $sleeper"
[ "$(jqr '.run.partial // false')" = false ] || fail "a whole week marked partial"
[ "$(jqr '[.stages[].id] | join(",")')" = monday,wednesday,thursday ] || fail "stages $(jqr -c '[.stages[].id]')"
jqr '.stages[] | select(.id == "thursday") | .steps[] | select(.id == "cpu-drill-down") | .why' |
	grep -q "run anyway: chosen by the person" || fail "the chosen drill-down does not say why it ran"
# The drill-down ran the profile collector again: its own files, no clash.
[ -z "$(tar tzf "$out" | sort | uniq -d)" ] || fail "the archive holds a file twice: $(tar tzf "$out" | sort | uniq -d)"
[ "$(jqr -c '[.profiles[] | select(.kind == "cpu") | [.name, .step]]')" = '[["cpu","cpu-profile"],["cpu-2","cpu-drill-down"]]' ] ||
	fail "profiles of the two steps: $(jqr -c '[.profiles[] | [.name, .step]]')"
[ "$(jqr '[.run.guide[] | select(.action == "choice")] | length')" = 2 ] || fail "choices not recorded"
jqr '.run.guide[] | select(.action == "choice" and .before == "thursday") | .choice' |
	grep -q "and also cpu-drill-down" || fail "choice 2 was not the drill-down"
# Before each stage two lines: what and how long; after it, verdicts and findings.
grep -q "^wednesday: Where the CPU time goes" "$SCRATCH/stdout" || fail "no announcement of wednesday"
grep -q "^  steps: cpu-profile; about [0-9]* s" "$SCRATCH/stdout" || fail "no steps line"
[ "$(grep -c "^Verdicts so far:" "$SCRATCH/stdout")" = 3 ] || fail "verdicts not shown after each stage"
grep -q "^Findings so far: [0-9]" "$SCRATCH/stdout" || fail "no findings line"

# 2. A process that does not exist, then a cgroup as the target, then q at
# the menu after Monday: a partial archive with the answers.
cg=/sys/fs/cgroup/unified/fri-g-guide-$$
[ -d /sys/fs/cgroup/unified ] || cg=/sys/fs/cgroup/fri-g-guide-$$
mkdir "$cg"
at_exit "rmdir $cg"
out="$SCRATCH/q.tar.gz"
printf '%s\n' "slow batch jobs" "" "" "" "" "" no-such-proc-fri-g "$cg" q 1 > "$SCRATCH/answers"
"$FRIDAY" guide --playbook quick -d 3 -o "$out" < "$SCRATCH/answers" > "$SCRATCH/stdout" 2>&1 ||
	fail "guide with q exited $?"
unpack "$out"
[ "$(jqr .run.partial)" = true ] || fail "q did not leave a partial archive"
jqr .run.partial_reason | grep -q "stopped by the person" || fail "partial_reason: $(jqr .run.partial_reason)"
[ "$(jqr .run.problem_statement.symptom)" = "slow batch jobs" ] || fail "answers lost on q"
[ "$(jqr '[.stages[].id] | join(",")')" = monday ] || fail "stages after q: $(jqr -c '[.stages[].id]')"
grep -q "no process named no-such-proc-fri-g" "$SCRATCH/stdout" || fail "an unknown process was accepted"
[ "$(jqr .run.target)" = "cgroup $cg" ] || fail "target: $(jqr .run.target), not cgroup $cg"
[ "$(jqr '.run.guide[0].action')" = target ] || fail "the target choice is not in run.guide"

# 2b. An empty answer looks at the whole host.
printf '%s\n' "" "" "" "" "" "" "" q > "$SCRATCH/answers"
"$FRIDAY" guide --playbook quick -d 3 -o "$out" < "$SCRATCH/answers" > "$SCRATCH/stdout" 2>&1 ||
	fail "guide exited $?"
unpack "$out"
[ "$(jqr .run.target)" = "whole host" ] || fail "empty target answer is not the whole host"

# 3. The end of input in the middle of the questions.
out="$SCRATCH/eof.tar.gz"
printf '%s\n' "disk is slow" "no" | "$FRIDAY" guide -d 3 -o "$out" > "$SCRATCH/stdout" 2>&1 ||
	fail "guide at end of input exited $?"
unpack "$out"
[ "$(jqr .run.partial)" = true ] || fail "end of input did not leave a partial archive"
[ "$(jqr .run.problem_statement.performed_well)" = no ] || fail "answers lost at end of input"
[ "$(jqr '.run.problem_statement.changes // "none"')" = none ] || fail "an unanswered question has an answer"
[ "$(jqr '.stages | length')" = 0 ] || fail "stages ran before the questions were answered"

# 4. Bad usage is refused like run's.
set +e
"$FRIDAY" guide -d 0 < /dev/null > /dev/null 2>&1
[ $? = 2 ] || fail "guide -d 0 did not exit 2"
"$FRIDAY" guide --help | grep -q "problem-statement questions" || fail "guide --help"
set -e
echo "guide: ok"
