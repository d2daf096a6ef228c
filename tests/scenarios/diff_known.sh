# diff_known.sh: `friday diff` on known before/after workloads (issue 10).
# 1. A hot function made cheaper: build/workloads/hot_switch spends 75% of
#    its CPU in friday_hot_step ("slow": 3 M iterations against 1 M in
#    friday_cold_step) and 42.9% after the fix ("fast": 0.75 M). Two runs
#    profile it with -p at -F 999; the diff must name friday_hot_step with
#    a share change of -32.1 points within 10 (sampling noise: a few
#    hundred to a few thousand samples per side give a standard error of
#    2 to 5 points on the difference; 10 is 2 to 5 of them), and
#    friday_cold_step +32.1 within 10.
# 2. A lock split in two: build/workloads/lock_split, 4 threads holding a
#    mutex while sleeping 400 us then sleeping 400 us outside it. With one
#    lock half their blocked time is futex waits (expected 50%); split in
#    two, nearly none. The off-CPU futex share must fall by 25 points or
#    more, in the figures (offcpu.locks_share_pct) and in the functions
#    (a futex frame, change below -25 points).
# Also: the text names the function, -o writes diff.html (no request, the
# differential flame graph drawn in headless Chromium: the hot function in
# blue, the cold one in red) and a folder with the differential folded file.
. tests/lib.sh
need_root

# profile_run WORKLOAD ARGS... : profiles a fresh WORKLOAD for 5 s into
# $SCRATCH/NAME.tar.gz, NAME the args joined by '-'.
profile_run() {
	name=$(echo "$*" | tr ' /' '--' | sed 's/.*workloads-//')
	"$@" & wpid=$!
	at_exit "kill $wpid 2>/dev/null"
	sleep 0.3
	# --max-overhead 100: the profile's shares and totals are measured whole
	# here; sampling down under the overhead budget is stress_cswitch.sh's.
	"$FRIDAY" run --max-overhead 100 -d 5 -F 999 -p $wpid --stages wednesday -o "$SCRATCH/$name.tar.gz" \
		> /dev/null 2> "$SCRATCH/$name.stderr" || fail "friday run ($name) exited $?: $(tail -3 "$SCRATCH/$name.stderr")"
	kill $wpid 2>/dev/null
	wait $wpid 2>/dev/null || true
}

# share JSON KIND FUNCTION FIELD: a function's field in the diff.
share() {
	jq -r --arg k "$2" --arg f "$3" '.profiles[] | select(.kind == $k) | .functions[] |
		select(.name == $f) | .'"$4" "$1"
}

profile_run "$WORKLOADS/hot_switch" 14 slow
profile_run "$WORKLOADS/hot_switch" 14 fast
"$FRIDAY" diff "$SCRATCH/hot_switch-14-slow.tar.gz" "$SCRATCH/hot_switch-14-fast.tar.gz" \
	> "$SCRATCH/hot.txt" || fail "friday diff exited $?"
"$FRIDAY" diff --json "$SCRATCH/hot_switch-14-slow.tar.gz" "$SCRATCH/hot_switch-14-fast.tar.gz" \
	> "$SCRATCH/hot.json" || fail "friday diff --json exited $?"
cat "$SCRATCH/hot.txt" | sed -n '/CPU flame graph/,/process/p'
awk 'length > 80 { print "line over 80 columns: " $0; bad = 1 } END { exit bad }' "$SCRATCH/hot.txt" ||
	fail "the text is wider than 80 columns"
grep -A3 '^CPU flame graph' "$SCRATCH/hot.txt" | grep -q friday_hot_step ||
	fail "the text does not name friday_hot_step among the top changes"
[ "$(jq -r .schema "$SCRATCH/hot.json")" = friday.diff/1 ] || fail "no diff schema"
hot=$(share "$SCRATCH/hot.json" cpu friday_hot_step change_pts)
cold=$(share "$SCRATCH/hot.json" cpu friday_cold_step change_pts)
echo "friday_hot_step: $(share "$SCRATCH/hot.json" cpu friday_hot_step before_pct)% ->" \
	"$(share "$SCRATCH/hot.json" cpu friday_hot_step after_pct)% ($hot points, expected -32.1 +- 10)"
[ -n "$hot" ] && [ -n "$cold" ] || fail "the diff lacks friday_hot_step or friday_cold_step"
awk -v h="$hot" -v c="$cold" 'BEGIN { exit !(h > -42.1 && h < -22.1 && c > 22.1 && c < 42.1) }' ||
	fail "hot $hot / cold $cold points, expected -32.1 / +32.1 within 10"
samples=$(jq -r '.profiles[] | select(.kind == "cpu") | .before_total' "$SCRATCH/hot.json")
[ "$samples" -ge 100 ] || fail "only $samples CPU samples before: too few to judge shares"

# -o FILE.html: the page, offline, with the differential tables of both kinds
"$FRIDAY" diff -o "$SCRATCH/diff.html" "$SCRATCH/hot_switch-14-slow.tar.gz" \
	"$SCRATCH/hot_switch-14-fast.tar.gz" > /dev/null 2>&1 || fail "diff -o diff.html exited $?"
page="$SCRATCH/diff.html"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$page" || fail "no CSP in diff.html"
grep -Eq '(src|href)="https?:' "$page" && fail "diff.html refers to the network"
grep -q '"diff":true' "$page" || fail "diff.html has no differential flame data"
grep -q 'data-flame="0"' "$page" || fail "diff.html has no flame graph box"
grep -q 'friday_hot_step' "$page" || fail "diff.html does not name friday_hot_step"
# in a browser: the hot function drawn in blue (less), the cold one in red
node tests/browser/check_diff.js "$page" --less friday_hot_step --more friday_cold_step \
	> "$SCRATCH/browser.json" || fail "diff.html fails the browser checks: $(cat "$SCRATCH/browser.json")"
cat "$SCRATCH/browser.json"
# -o FOLDER: every file, and the differential folded file as "stack B A"
"$FRIDAY" diff -o "$SCRATCH/out" "$SCRATCH/hot_switch-14-slow.tar.gz" \
	"$SCRATCH/hot_switch-14-fast.tar.gz" > /dev/null 2>&1 || fail "diff -o FOLDER exited $?"
for f in diff.html diff.json diff.txt cpu.diff.folded; do
	[ -s "$SCRATCH/out/$f" ] || fail "diff -o FOLDER wrote no $f"
done
grep -Evq '^[^ ]+( [0-9]+){2}$' "$SCRATCH/out/cpu.diff.folded" &&
	fail "a differential folded line is not 'stack BEFORE AFTER': $(grep -Ev '^[^ ]+( [0-9]+){2}$' "$SCRATCH/out/cpu.diff.folded" | head -1)"

profile_run "$WORKLOADS/lock_split" 14 1
profile_run "$WORKLOADS/lock_split" 14 2
"$FRIDAY" diff --json "$SCRATCH/lock_split-14-1.tar.gz" "$SCRATCH/lock_split-14-2.tar.gz" \
	> "$SCRATCH/lock.json" || fail "friday diff --json (locks) exited $?"
locks=$(jq -r '.figures[] | select(.name == "offcpu.locks_share_pct") | "\(.before) \(.after)"' "$SCRATCH/lock.json")
echo "off-CPU locks share: $locks (percent, before and after)"
set -- $locks
[ $# = 2 ] || fail "no offcpu.locks_share_pct figure"
awk -v b="$1" -v a="$2" 'BEGIN { exit !(b - a >= 25 && b >= 35) }' ||
	fail "the locks share moved from $1 to $2%, expected about 50 -> under 25"
futex=$(jq -r '[.profiles[] | select(.kind == "offcpu") | .functions[] |
	select(.name | test("futex_wait")) | .change_pts] | min' "$SCRATCH/lock.json")
echo "largest futex frame change: $futex points"
awk -v f="$futex" 'BEGIN { exit !(f != "null" && f <= -25) }' ||
	fail "no futex frame among the off-CPU changes fell by 25 points ($futex)"
echo "diff known workloads ok"
