# guide_tmux.sh: `friday guide` on a real terminal (a tmux pane): the keys
# a person types answer the questions, a numbered choice runs a drill-down
# on a named workload, Ctrl-C in the middle of a stage and Ctrl-D at a
# prompt each leave a partial archive; capture-pane checks the prompts and
# the progress line drawn in place, in colour unless NO_COLOR is set.
. tests/lib.sh
need_root
command -v tmux > /dev/null || fail "tmux is missing (make installs it: TEST_PKGS)"

SOCK="fri-g-$$"
T="tmux -L $SOCK"
at_exit "$T kill-server 2>/dev/null"
export TERM=xterm-256color

# start NAME COMMAND...: a pane running COMMAND, then printing its exit code.
start() {
	name=$1
	shift
	$T new-session -d -s "$name" -x 220 -y 60 \
		"cd '$PWD' && $* ; echo FRIDAY-EXIT=\$? ; sleep 120"
}
screen() { $T capture-pane -p -t "$1" -S -300; }
# wait_for NAME PATTERN SECONDS: until the pane shows PATTERN (grep -E).
wait_for() {
	i=0
	while ! screen "$1" | grep -Eq -- "$2"; do
		i=$((i + 1))
		[ "$i" -le $(($3 * 10)) ] || { screen "$1" | tail -30; fail "$1: no '$2' after $3 s"; }
		sleep 0.1
	done
}
keys() { name=$1; shift; $T send-keys -t "$name" "$@"; }
answer() { wait_for "$1" "$2" 10; keys "$1" -l "$3"; keys "$1" Enter; }

# 1. A whole week of the cpu playbook on a named spinning workload; the
# person points at it by name and chooses the CPU drill-down.
# A name of its own: other tests on this machine may spin hot_function too.
cp "$WORKLOADS/hot_function" "$SCRATCH/hotg$$"
"$SCRATCH/hotg$$" 60 1 > /dev/null &
hot=$!
at_exit "kill $hot 2>/dev/null"
for i in $(seq 50); do
	[ "$(cat /proc/$hot/comm)" = hotg$$ ] && break
	sleep 0.1
done
out1="$SCRATCH/week.tar.gz"
# guide-week.json has no judge step: no verdict can suggest the drill-down.
start week "$FRIDAY" guide --playbook tests/fixtures/playbooks/guide-week.json -d 6 -o "$out1"
answer week "1. What makes you think" "batch jobs take twice as long"
answer week "2. Has this system ever performed well" "yes"
answer week "3. What changed recently" "new input data"
answer week "4. Can the problem be expressed" "job run time"
answer week "Its value now" "600 s"
answer week "The value you expect" "300 s"
answer week "5. Does the problem affect" "only this host"
answer week "6. What is the environment\? friday sees: kernel" ""
answer week "Is there a process or cgroup to look at" "hotg$$"
wait_for week "the stages that follow look at pid $hot" 5
answer week "Choose a number" ""
wait_for week "2\) thursday, and also cpu-drill-down" 30
keys week -l 2
keys week Enter
wait_for week "FRIDAY-EXIT=" 40
screen week | grep -q "FRIDAY-EXIT=0" || fail "guide exited: $(screen week | grep FRIDAY-EXIT)"
screen week | grep -q "The week is done" || fail "the week did not end as done"
for p in "^monday: " "^wednesday: " "^thursday: " "  steps: .*about [0-9]+ s" \
	"Verdicts so far" "Findings so far" "What next\?"; do
	screen week | grep -Eq -- "$p" || fail "the terminal never showed '$p'"
done
unpack "$out1"
[ "$(jqr .run.target)" = "pid $hot" ] || fail "target: $(jqr .run.target)"
[ "$(jqr '.run.partial // false')" = false ] || fail "a whole week is marked partial"
[ "$(jqr .run.problem_statement.problem_metric.current)" = 600 ] || fail "problem_metric"
[ "$(jqr '.stages[] | select(.id == "thursday") | .steps[] | select(.id == "cpu-drill-down") | .status')" = ok ] ||
	fail "the chosen drill-down did not run"
jqr '.stages[] | select(.id == "thursday") | .steps[] | select(.id == "cpu-drill-down") | .why' |
	grep -q "chosen by the person" || fail "the drill-down does not say the person chose it"
# The profile looked at the named process only, and found its hot function.
jqr '.profiles[] | select(.kind == "cpu") | .top_leaves[0].function' | grep -q friday_hot_spin ||
	fail "the profile of the named workload does not lead with friday_hot_spin"

# 2. Ctrl-C in the middle of a stage: the progress line is on screen, then
# a partial archive with the answers.
out2="$SCRATCH/ctrlc.tar.gz"
start ctrlc "$FRIDAY" guide -d 30 -o "$out2"
answer ctrlc "1. What makes you think" "latency spikes"
for q in "2\. Has" "3\. What changed" "4\. Can the problem" "5\. Does" "6\. What is" "Is there a process"; do
	answer ctrlc "$q" ""
done
answer ctrlc "Choose a number" "1"
wait_for ctrlc "s left in the step" 15
sleep 1
keys ctrlc C-c
wait_for ctrlc "FRIDAY-EXIT=" 10
screen ctrlc | grep -q "FRIDAY-EXIT=0" || fail "Ctrl-C: $(screen ctrlc | grep FRIDAY-EXIT)"
unpack "$out2"
[ "$(jqr .run.partial)" = true ] || fail "Ctrl-C did not leave a partial archive"
jqr .run.partial_reason | grep -q "Ctrl-C" || fail "partial_reason: $(jqr .run.partial_reason)"
[ "$(jqr .run.problem_statement.symptom)" = "latency spikes" ] || fail "answers lost on Ctrl-C"
jqr '.run.duration_s' | awk '{ exit !($1 < 25) }' || fail "Ctrl-C did not cut the stage short"

# 3. Ctrl-D at a prompt.
out3="$SCRATCH/ctrld.tar.gz"
start ctrld "$FRIDAY" guide -d 5 -o "$out3"
answer ctrld "1. What makes you think" "odd stalls"
wait_for ctrld "2. Has this system" 10
keys ctrld C-d
wait_for ctrld "FRIDAY-EXIT=" 10
screen ctrld | grep -q "FRIDAY-EXIT=0" || fail "Ctrl-D: $(screen ctrld | grep FRIDAY-EXIT)"
unpack "$out3"
[ "$(jqr .run.partial)" = true ] || fail "Ctrl-D did not leave a partial archive"
[ "$(jqr .run.problem_statement.symptom)" = "odd stalls" ] || fail "answers lost on Ctrl-D"

# 4. run's progress on a terminal: one line in place, coloured; NO_COLOR.
for nc in "" 1; do
	name=prog$nc
	start "$name" env NO_COLOR=$nc "$FRIDAY" run --playbook cpu -d 8 -o "$SCRATCH/$name.tar.gz"
	wait_for "$name" "\[wednesday\] cpu-profile: .* s left in the step" 15
	[ "$(screen "$name" | grep -c "left in the step")" = 1 ] || fail "more than one progress line"
	if [ -z "$nc" ]; then
		$T capture-pane -e -p -t "$name" | grep "left in the step" | grep -q "$(printf '\033')\[" ||
			fail "no colour on a terminal"
	else
		$T capture-pane -e -p -t "$name" | grep "left in the step" | grep -q "$(printf '\033')\[[0-9;]*[1-9][0-9;]*m" &&
			fail "colour although NO_COLOR is set"
	fi
	wait_for "$name" "FRIDAY-EXIT=0" 20
	screen "$name" | grep -q "left in the step" && fail "the progress line was not cleared"
done
echo "guide_tmux: ok"
