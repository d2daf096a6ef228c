# archive_contract.sh: `friday run -d 5 -o X` writes an archive that
# follows DESIGN.md's report contract, whose manifest matches its files,
# and that `friday show` reads back; bad usage exits 2, a damaged archive 1.
. tests/lib.sh
need_root

out="$SCRATCH/run.tar.gz"
start=$(date +%s)
"$FRIDAY" run -d 5 -o "$out" > "$SCRATCH/stdout" 2> "$SCRATCH/stderr" || fail "friday run exited $?"
took=$(($(date +%s) - start))
[ "$took" -le 12 ] || fail "run -d 5 took $took s"
[ -f "$out" ] || fail "no archive at $out"
ls "$SCRATCH" | grep -q '\.tmp\.' && fail "a temporary archive was left behind"
unpack "$out"
[ "$(basename "$REPORT_DIR")" = run ] || fail "top folder is $(basename "$REPORT_DIR"), not run"

# The contract's fields.
[ "$(jqr .schema)" = friday.report/1 ] || fail "schema is $(jqr .schema)"
for f in .tool.version .host.hostname .host.kernel .run.playbook .run.started .run.target; do
	[ -n "$(jqr "$f // empty")" ] || fail "report.json has no $f"
done
[ "$(jqr '.host.cpus')" -ge 1 ] || fail "host.cpus"
[ "$(jqr '.host.memory_bytes')" -gt 0 ] || fail "host.memory_bytes"
jqr '.run.duration_s' | awk '{ exit !($1 > 0 && $1 <= 8) }' || fail "run.duration_s $(jqr .run.duration_s)"
[ "$(jqr '.capabilities | length')" -ge 5 ] || fail "too few capabilities"
[ "$(jqr '[.capabilities[] | select((.ok|type) != "boolean" or (.reason|type) != "string")] | length')" = 0 ] ||
	fail "a capability lacks ok or reason"
[ "$(jqr '[.stages[].id] | map(select(IN("monday","tuesday","wednesday","thursday","friday") | not)) | length')" = 0 ] ||
	fail "unknown stage id"
[ "$(jqr '[.stages[].steps[] | select(.status | IN("ok","skipped","unavailable","failed","timeout") | not)] | length')" = 0 ] ||
	fail "a step has a status outside the contract"
[ "$(jqr '[.stages[].steps[] | select((.id|type) != "string" or (.elapsed_s|type) != "number" or (.reason|type) != "string")] | length')" = 0 ] ||
	fail "a step lacks id, reason or elapsed_s"
[ "$(jqr '[.health[] | select(.verdict | IN("implicated","suspect","exonerated","unknown") | not)] | length')" = 0 ] ||
	fail "a verdict outside the contract"
[ "$(jqr '[.findings[] | select(.severity | IN("info","warning","critical") | not)] | length')" = 0 ] ||
	fail "a severity outside the contract"
subsys='IN("cpu","memory","disk","network","locks","syscalls","processes","filesystem")'
[ "$(jqr "[.findings[].subsystem, .health[].subsystem | select($subsys | not)] | length")" = 0 ] ||
	fail "a subsystem outside the contract"
for id in $(jqr '.findings[].id'); do
	grep -q "\`$id\`" docs/findings.md || fail "finding $id is not in docs/findings.md"
done
[ "$(jqr '.checks | length')" -ge 1 ] || fail "no checks recorded"

# The manifest lists every file with its size and sha256, and nothing else.
m="$REPORT_DIR/manifest.json"
for f in report.json report.html summary.txt; do
	[ -f "$REPORT_DIR/$f" ] || fail "no $f"
	jq -e --arg p "$f" '.files[] | select(.path == $p)' "$m" > /dev/null || fail "$f not in manifest"
done
jq -r '.files[] | "\(.path) \(.size) \(.sha256)"' "$m" | while read -r p size sum; do
	[ "$(stat -c %s "$REPORT_DIR/$p")" = "$size" ] || fail "size of $p differs from the manifest"
	[ "$(sha256sum "$REPORT_DIR/$p" | cut -d' ' -f1)" = "$sum" ] || fail "sha256 of $p differs"
done
nfiles=$(cd "$REPORT_DIR" && find . -type f ! -name manifest.json | wc -l)
[ "$nfiles" = "$(jq '.files | length' "$m")" ] || fail "manifest lists $(jq '.files | length' "$m") files, archive has $nfiles"
[ "$(jq '.steps | length' "$m")" = "$(jqr '[.stages[].steps[]] | length')" ] || fail "manifest steps differ"

# summary.txt fits a ticket; report.html is offline.
awk 'length > 80 { bad = 1 } END { exit bad }' "$REPORT_DIR/summary.txt" || fail "summary.txt has lines over 80 columns"
grep -q "$(hostname)" "$REPORT_DIR/summary.txt" || fail "summary.txt does not name the host"
grep -q "Content-Security-Policy" "$REPORT_DIR/report.html" || fail "report.html has no CSP"
grep -Eq '(src|href)="(https?:)?//' "$REPORT_DIR/report.html" && fail "report.html loads something from the network"

# show reads it back; stdout of run is the same summary.
"$FRIDAY" show "$out" > "$SCRATCH/show" || fail "friday show exited $?"
cmp -s "$SCRATCH/show" "$REPORT_DIR/summary.txt" || fail "show does not print summary.txt"

# Exit codes.
set +e
"$FRIDAY" run -d zero 2> "$SCRATCH/err"; rc=$?
[ $rc = 2 ] || fail "bad -d exited $rc, not 2"
grep -q -- "-d needs" "$SCRATCH/err" || fail "bad -d gave no reason"
"$FRIDAY" frobnicate 2> /dev/null; [ $? = 2 ] || fail "unknown command did not exit 2"
"$FRIDAY" run --playbook no-such-playbook -d 1 -o "$SCRATCH/x.tar.gz" 2> /dev/null; [ $? = 2 ] || fail "unknown playbook did not exit 2"
"$FRIDAY" show "$SCRATCH/missing.tar.gz" 2> /dev/null; [ $? = 1 ] || fail "show of a missing archive did not exit 1"
head -c 300 "$out" > "$SCRATCH/damaged.tar.gz"
"$FRIDAY" show "$SCRATCH/damaged.tar.gz" 2> "$SCRATCH/err"; [ $? = 1 ] || fail "show of a damaged archive did not exit 1"
"$FRIDAY" run -d 1 -o /proc/no/such/dir/x.tar.gz > /dev/null 2> "$SCRATCH/err"; rc=$?
[ $rc = 1 ] || fail "an unwritable output exited $rc, not 1"
grep -q "cannot create" "$SCRATCH/err" || fail "an unwritable output gave no reason"
set -e
echo "archive contract ok ($took s)"
