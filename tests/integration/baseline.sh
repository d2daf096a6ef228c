# baseline.sh: `friday run --baseline ARCHIVE` (issue 10). A first run
# profiles hot_switch "slow"; a second run profiles hot_switch "fast" with
# the first archive as baseline. The new archive must hold the diff as
# report.json "baseline" (schema friday.diff/1) naming friday_hot_step
# with a falling share, diff/diff.html, diff/diff.json, diff/diff.txt and
# diff/cpu.diff.folded, and report.html must show the baseline section. A
# missing or damaged baseline must stop the run before it starts, exit 1.
. tests/lib.sh
need_root

run_hot() {
	mode=$1
	shift
	"$WORKLOADS/hot_switch" 12 $mode & wpid=$!
	at_exit "kill $wpid 2>/dev/null"
	sleep 0.3
	"$FRIDAY" run -d 4 -F 999 -p $wpid --stages wednesday "$@" > /dev/null 2> "$SCRATCH/stderr" ||
		fail "friday run ($mode $*) exited $?: $(tail -3 "$SCRATCH/stderr")"
	kill $wpid 2>/dev/null
	wait $wpid 2>/dev/null || true
}

run_hot slow -o "$SCRATCH/before.tar.gz"
run_hot fast -o "$SCRATCH/after.tar.gz" --baseline "$SCRATCH/before.tar.gz"
unpack "$SCRATCH/after.tar.gz"
[ "$(jqr .baseline.schema)" = friday.diff/1 ] || fail "no baseline section in report.json"
[ "$(jqr .baseline.before.archive)" = "$SCRATCH/before.tar.gz" ] || fail "the baseline archive is not named"
hot=$(jqr '.baseline.profiles[] | select(.kind == "cpu") | .functions[] | select(.name == "friday_hot_step") | .change_pts')
echo "friday_hot_step moved $hot points against the baseline"
awk -v h="$hot" 'BEGIN { exit !(h != "" && h < -20) }' || fail "friday_hot_step did not fall: '$hot'"
for f in diff/diff.html diff/diff.json diff/diff.txt diff/cpu.diff.folded; do
	[ -s "$REPORT_DIR/$f" ] || fail "the archive lacks $f"
done
jq -e '.profiles | length >= 1' "$REPORT_DIR/diff/diff.json" > /dev/null || fail "diff/diff.json has no profiles"
grep -q 'id="baseline"' "$REPORT_DIR/report.html" || fail "report.html has no baseline section"
grep -q 'friday_hot_step' "$REPORT_DIR/report.html" || fail "report.html's baseline section does not name the function"
grep -q 'href="diff/diff.html"' "$REPORT_DIR/report.html" || fail "report.html does not link diff/diff.html"
grep -q '"diff":true' "$REPORT_DIR/diff/diff.html" || fail "diff/diff.html has no differential flame graph"
grep -q "^Against the baseline $SCRATCH/before.tar.gz" "$REPORT_DIR/summary.txt" ||
	fail "summary.txt does not mention the baseline"
grep -Eq "Largest move in the cpu profile: friday_(hot|cold)_step" "$REPORT_DIR/summary.txt" ||
	fail "summary.txt does not name the function that moved (hot and cold move alike)"
awk 'length > 80 { bad = 1 } END { exit bad }' "$REPORT_DIR/summary.txt" || fail "summary.txt wider than 80 columns"
jq -e '.files | map(.path) | index("diff/diff.html") != null' "$REPORT_DIR/manifest.json" > /dev/null ||
	fail "manifest.json does not list diff/diff.html"

# a missing and a damaged baseline: exit 1 at once, no archive
start=$(date +%s)
"$FRIDAY" run -d 30 --baseline "$SCRATCH/none.tar.gz" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/err" && fail "a missing baseline was accepted"
[ $? = 1 ] || fail "a missing baseline exited $? (want 1)"
grep -q "baseline.*none.tar.gz" "$SCRATCH/err" || fail "the error does not name the baseline: $(cat "$SCRATCH/err")"
head -c 2000 "$SCRATCH/before.tar.gz" > "$SCRATCH/cut.tar.gz"
"$FRIDAY" run -d 30 --baseline "$SCRATCH/cut.tar.gz" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/err" && fail "a damaged baseline was accepted"
[ $? = 1 ] || fail "a damaged baseline exited $? (want 1)"
[ $(($(date +%s) - start)) -lt 10 ] || fail "a bad baseline did not stop the run before it started"
[ -e "$SCRATCH/x.tar.gz" ] && fail "an archive was written despite a bad baseline"
echo "baseline ok"
