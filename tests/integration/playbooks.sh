# playbooks.sh: every embedded playbook runs (short -d) and writes an archive
# whose stages and steps are the playbook's, in order; steps that do not run
# say why; a user's playbook runs, and one with an error is refused before
# anything runs with exit 2 and FILE:LINE:COL; every playbook follows
# docs/playbook.schema.json; progress without a terminal is plain lines.
. tests/lib.sh

# The JSON Schema accepts every playbook and refuses what it can express.
/usr/bin/python3 - "$SCRATCH" <<'PY' || fail "docs/playbook.schema.json and the playbooks disagree"
import glob, json, sys
import jsonschema
schema = json.load(open("docs/playbook.schema.json"))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for f in sorted(glob.glob("playbooks/*.json")):
    errs = list(v.iter_errors(json.load(open(f))))
    if errs:
        sys.exit("%s: %s" % (f, errs[0].message))
step = {"id": "a", "run": "inventory"}
for bad in ({"name": "x", "stages": [{"id": "someday", "steps": [step]}]},
            {"name": "x", "stages": [{"id": "monday", "steps": [dict(step, weight=-1)]}]},
            {"name": "x", "stages": [{"id": "monday", "steps": [dict(step, weight=0, min_s=3)]}]},
            {"name": "x", "stages": [{"id": "monday", "steps": [dict(step, when={"verdict": {"gpu": ["suspect"]}})]}]},
            {"name": "x", "stages": [{"id": "monday", "steps": [dict(step, when={"verdict": {"cpu": ["bad"]}})]}]},
            {"name": "x", "stagez": []}):
    if v.is_valid(bad):
        sys.exit("the schema accepts a bad playbook: %s" % json.dumps(bad))
PY

# Each embedded playbook runs and its archive's steps match it.
for f in playbooks/*.json; do
	name=$(basename "$f" .json)
	out="$SCRATCH/$name.tar.gz"
	"$FRIDAY" run --playbook "$name" -d 2 -o "$out" > /dev/null 2> "$SCRATCH/$name.err" ||
		fail "playbook $name: exit $?: $(cat "$SCRATCH/$name.err")"
	unpack "$out"
	[ "$(jqr .run.playbook)" = "$name" ] || fail "$name: run.playbook is $(jqr .run.playbook)"
	want=$(jq -c '[.stages[] | {id, steps: [.steps[].id]}]' "$f")
	got=$(jqr -c '[.stages[] | {id, steps: [.steps[].id]}]')
	[ "$want" = "$got" ] || fail "$name: the archive's steps $got are not the playbook's $want"
	# Every step that ran says why; every skipped step says why not.
	[ "$(jqr '[.stages[].steps[] | select(.status != "skipped" and ((.why // "") == ""))] | length')" = 0 ] ||
		fail "$name: a step ran without a why"
	# (on a short -d the last drill-downs may also find no time left)
	[ "$(jqr '[.stages[].steps[] | select(.status == "skipped" and (.reason | test("condition|no time was left") | not))] | length')" = 0 ] ||
		fail "$name: a skipped step says neither its condition nor the budget: $(jqr -c '[.stages[].steps[] | select(.status == "skipped") | .reason]')"
	# Conditional steps whose verdicts were not reached are skipped, not run.
	for id in $(jq -r '.stages[].steps[] | select(.when.verdict) | .id' "$f"); do
		subs=$(jq -c --arg id "$id" '.stages[].steps[] | select(.id == $id) | .when.verdict' "$f")
		st=$(jqr --arg id "$id" '.stages[].steps[] | select(.id == $id) | .status')
		hit=$(jqr --argjson w "$subs" '[.health[] | select(.verdict as $v | .subsystem as $s | $w[$s] != null and ($w[$s] | index($v)))] | length')
		if [ "$hit" = 0 ] && [ "$st" != skipped ]; then
			fail "$name: step $id ran ($st) although no verdict matches $subs"
		fi
	done
	# Without a terminal: one plain line per step, no escapes, no carriage returns.
	if grep -q "$(printf '\r')" "$SCRATCH/$name.err" || grep -q "$(printf '\033')" "$SCRATCH/$name.err"; then
		fail "$name: progress on a pipe has \\r or escape sequences"
	fi
	for id in $(jq -r '.stages[].steps[].id' "$f"); do
		grep -q "^friday: \[[a-z]*\] $id: " "$SCRATCH/$name.err" || fail "$name: no progress line for $id"
	done
done

# A user's own playbook runs, with its own name in the report.
cat > "$SCRATCH/mine.json" <<'PB'
{
  "name": "mine-helper-g",
  "stages": [
    { "id": "monday", "steps": [ { "id": "what-host", "run": "inventory", "weight": 0 } ] },
    { "id": "thursday", "steps": [
      { "id": "if-cpu", "run": "inventory", "when": { "verdict": { "cpu": ["implicated"] } } } ] }
  ]
}
PB
"$FRIDAY" run --playbook "$SCRATCH/mine.json" -d 2 -o "$SCRATCH/mine.tar.gz" > /dev/null 2>&1 ||
	fail "a valid user playbook: exit $?"
unpack "$SCRATCH/mine.tar.gz"
[ "$(jqr .run.playbook)" = mine-helper-g ] || fail "user playbook's name not recorded"
[ "$(jqr '.stages[1].steps[0].status')" = skipped ] || fail "if-cpu ran on a host where cpu is not implicated"

# The example in docs/playbooks.md is a playbook that runs.
awk '/^```json$/ { on = 1; next } /^```$/ { if (on) exit } on' docs/playbooks.md > "$SCRATCH/doc.json"
"$FRIDAY" run --playbook "$SCRATCH/doc.json" -d 2 --stages monday -o "$SCRATCH/doc.tar.gz" > /dev/null 2> "$SCRATCH/doc.err" ||
	fail "the example in docs/playbooks.md does not run: $(cat "$SCRATCH/doc.err")"

# refused FILE TEXT [-d N] [--stages L]: exit 2, no archive, stderr has TEXT.
refused() {
	file=$1 want=$2
	shift 2
	rm -f "$SCRATCH/bad.tar.gz"
	set +e
	"$FRIDAY" run --playbook "$file" -o "$SCRATCH/bad.tar.gz" "$@" > /dev/null 2> "$SCRATCH/bad.err"
	rc=$?
	set -e
	[ "$rc" = 2 ] || fail "$file: exit $rc, not 2 ($(cat "$SCRATCH/bad.err"))"
	grep -qF -- "$want" "$SCRATCH/bad.err" || fail "$file: wanted '$want', got: $(cat "$SCRATCH/bad.err")"
	[ ! -e "$SCRATCH/bad.tar.gz" ] || fail "$file: an archive was written for a refused playbook"
	grep -q "^friday: \[" "$SCRATCH/bad.err" && fail "$file: a step ran before the refusal"
	return 0
}
refused tests/fixtures/playbooks/bad-syntax.json "tests/fixtures/playbooks/bad-syntax.json:4:"
refused tests/fixtures/playbooks/unknown-step.json \
	'unknown-step.json:4:54: unknown step "no_such_step"; known steps: inventory'
printf '{"name": "c",\n "stages": [{"id": "monday", "steps": [\n  {"id": "a", "run": "inventory", "when": {"ran": ["b"]}},\n  {"id": "b", "run": "inventory", "when": {"ran": ["a"]}}]}]}\n' > "$SCRATCH/cycle.json"
refused "$SCRATCH/cycle.json" "cycle.json:3:52: step \"a\" waits for \"b\", which does not run before it"
printf '{"name": "slow",\n "stages": [{"id": "monday", "steps": [\n  {"id": "a", "run": "inventory", "min_s": 30}]}]}\n' > "$SCRATCH/slow.json"
refused "$SCRATCH/slow.json" "impossible budget: playbook slow needs at least 30 s" -d 5
printf '{"name": "typo",\n "stages": [{"id": "tuesday", "steps": [\n  {"id": "p", "run": "collect", "collectors": ["syscount"],\n   "knobs": {"syscount": {"latancy": true}}}]}]}\n' > "$SCRATCH/typo.json"
refused "$SCRATCH/typo.json" 'typo.json:4:27: unknown knob "latancy" of syscount (its knobs: latency, slow_ms, time_every'
refused quick "playbook quick has no stage friday" --stages friday
refused "$SCRATCH/nonexistent.json" "nonexistent.json: cannot read"


# friday list -v playbooks shows stages and steps with their conditions.
"$FRIDAY" list -v playbooks > "$SCRATCH/list"
for f in playbooks/*.json; do
	grep -q "^  $(basename "$f" .json) " "$SCRATCH/list" || fail "list has no $(basename "$f" .json)"
done
grep -q 'cpu-drill-down .*collect .*when {"verdict":{"cpu":\["implicated","suspect"\]}}' "$SCRATCH/list" ||
	fail "list -v does not show the cpu drill-down's condition"
echo "playbooks: ok"
