# diff_cli.sh: `friday diff` as a person meets it: an archive compared with
# itself (nothing changed, exit 0), with a copy made to look like an older
# friday (another schema and version, no load snapshot, no histograms, no
# profiles: notes, not a crash, exit 0), bad usage (exit 2), and missing,
# damaged or foreign archives (a clear error naming the file, exit 1).
. tests/lib.sh
need_root

a="$SCRATCH/a.tar.gz"
"$FRIDAY" run -d 6 --stages monday,wednesday -o "$a" > /dev/null 2> "$SCRATCH/stderr" ||
	fail "friday run exited $?"
"$FRIDAY" diff "$a" "$a" > "$SCRATCH/same.txt" || fail "diff of an archive with itself exited $?"
grep -A1 '^Verdicts that changed' "$SCRATCH/same.txt" | grep -q none || fail "an archive differs from itself (verdicts)"
grep -A1 '^Figures that moved' "$SCRATCH/same.txt" | grep -q none || fail "an archive differs from itself (figures)"
grep -q "no share moved" "$SCRATCH/same.txt" || fail "shares moved between an archive and itself"
awk 'length > 80 { bad = 1 } END { exit bad }' "$SCRATCH/same.txt" || fail "the text is wider than 80 columns"

# an "older friday": same archive, report.json rewritten without sections
unpack "$a"
jq '.schema = "friday.report/0" | .tool.version = "0.0.1" | del(.load, .histograms, .profiles, .measurements)' \
	"$REPORT_DIR/report.json" > "$SCRATCH/old.json"
mv "$SCRATCH/old.json" "$REPORT_DIR/report.json"
old="$SCRATCH/old.tar.gz"
tar -czf "$old" -C "$SCRATCH/unpacked" "$(basename "$REPORT_DIR")"
"$FRIDAY" diff --json "$old" "$a" > "$SCRATCH/old.json" 2> "$SCRATCH/err" ||
	fail "diff with an older archive exited $?: $(cat "$SCRATCH/err")"
for note in "different report schemas" "different friday versions (before 0.0.1" \
	"before has no load snapshot" "before has no profiles"; do
	jq -r '.notes[]' "$SCRATCH/old.json" | grep -qF "$note" || fail "no note: $note ($(jq -c .notes "$SCRATCH/old.json"))"
done
[ "$(jq '[.figures[] | select(.direction == "only after")] | length' "$SCRATCH/old.json")" -gt 0 ] ||
	fail "figures only the newer archive has are not marked 'only after'"
"$FRIDAY" diff "$old" "$a" > "$SCRATCH/old.txt" || fail "text diff with an older archive exited $?"
grep -q "^note: written by different friday versions" "$SCRATCH/old.txt" || fail "the text lacks the version note"

# usage: exit 2
for args in "" "$a" "$a $a $a" "--bogus $a $a" "$a $a -o"; do
	"$FRIDAY" diff $args > /dev/null 2> "$SCRATCH/err" && fail "diff '$args' was accepted"
	rc=$?
	[ $rc = 2 ] || fail "diff '$args' exited $rc, want 2"
	grep -q "friday diff --help" "$SCRATCH/err" || fail "no hint at --help: $(cat "$SCRATCH/err")"
done
"$FRIDAY" diff --help | grep -q "^usage: friday diff BEFORE AFTER" || fail "friday diff --help"
# missing, damaged, foreign: exit 1, naming the file
head -c 3000 "$a" > "$SCRATCH/cut.tar.gz"
echo "not an archive" > "$SCRATCH/text.tar.gz"
mkdir -p "$SCRATCH/foreign/x" && echo hi > "$SCRATCH/foreign/x/readme"
tar -czf "$SCRATCH/foreign.tar.gz" -C "$SCRATCH/foreign" x
for bad in "$SCRATCH/none.tar.gz" "$SCRATCH/cut.tar.gz" "$SCRATCH/text.tar.gz" "$SCRATCH/foreign.tar.gz"; do
	"$FRIDAY" diff "$a" "$bad" > /dev/null 2> "$SCRATCH/err" && fail "diff accepted $bad"
	rc=$?
	[ $rc = 1 ] || fail "diff with $bad exited $rc, want 1"
	grep -q "^friday: diff: after: .*$(basename "$bad")" "$SCRATCH/err" || fail "the error does not name $bad: $(cat "$SCRATCH/err")"
	echo "$(basename "$bad"): $(cat "$SCRATCH/err")"
done
# -o into a directory that cannot be made: exit 1
"$FRIDAY" diff -o /proc/friday-no/diff.html "$a" "$a" > /dev/null 2> "$SCRATCH/err" && fail "wrote into /proc"
[ $? = 1 ] || fail "an unwritable -o did not exit 1"
echo "diff cli ok"
