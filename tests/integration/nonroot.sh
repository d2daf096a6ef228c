# nonroot.sh: `friday run` as nobody says on stderr what is missing and
# why, runs the steps that need no privilege, marks the BPF steps
# unavailable with the reason, and still writes its archive (exit 0): where
# -o says, or in TMPDIR when the current directory is not writable.
. tests/lib.sh
need_root

chmod 755 "$SCRATCH"
mkdir "$SCRATCH/home"
chown nobody "$SCRATCH/home"
cp "$FRIDAY" "$SCRATCH/friday" && chmod 755 "$SCRATCH/friday"
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps=-all "$@"; }

# A playbook with a BPF step: unavailable, with the reason; the rest runs.
playbook=$PWD/tests/fixtures/playbooks/nonroot.json
start=$(date +%s)
(cd "$SCRATCH/home" && as_nobody "$SCRATCH/friday" run -d 3 --playbook "$playbook" \
	-o "$SCRATCH/home/nr.tar.gz" > "$SCRATCH/out" 2> "$SCRATCH/err") || fail "friday run as nobody exited $?"
took=$(($(date +%s) - start))
[ "$took" -le 6 ] || fail "a non-root run of -d 3 took $took s"
grep -q "running as uid 65534 without CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON" "$SCRATCH/err" ||
	fail "stderr does not say which privileges are missing: $(cat "$SCRATCH/err")"
grep -q "the kernel refuses BPF programs" "$SCRATCH/err" || fail "stderr does not say why they matter"
grep -q "sudo friday run" "$SCRATCH/err" || fail "stderr does not say what to do"
[ -f "$SCRATCH/home/nr.tar.gz" ] || fail "no archive written as nobody"
[ "$(stat -c %U "$SCRATCH/home/nr.tar.gz")" = nobody ] || fail "the archive is not nobody's"
unpack "$SCRATCH/home/nr.tar.gz"
step() { jqr --arg id "$1" ".stages[].steps[] | select(.id == \$id) | .$2"; }
for s in inventory capabilities static-checks judge; do
	[ "$(step $s status)" = ok ] || fail "unprivileged step $s is $(step $s status): $(step $s reason)"
done
[ "$(step health-probes status)" = unavailable ] || fail "the BPF step is $(step health-probes status), not unavailable"
step health-probes reason | grep -q "needs BPF, which the kernel refuses to uid 65534 without CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON" ||
	fail "the BPF step's reason does not say why: $(step health-probes reason)"
[ "$(jqr .capabilities.root.ok)" = false ] || fail "report says root as nobody"
jqr .capabilities.tp_btf.reason | grep -q EPERM || fail "tp_btf as nobody does not give EPERM: $(jqr .capabilities.tp_btf.reason)"
[ "$(jqr .run.partial)" = false ] || fail "a complete non-root run is marked partial"
[ "$(jqr '.checks | length')" -ge 1 ] || fail "no static checks ran as nobody"

# The default playbook as nobody, from a directory nobody cannot write and
# without -o: the archive goes to TMPDIR, and stderr says where.
(cd / && TMPDIR="$SCRATCH/home" as_nobody "$SCRATCH/friday" run -d 2 > "$SCRATCH/out2" 2> "$SCRATCH/err2") ||
	fail "friday run as nobody in / exited $?"
grep -q "cannot write in the current directory" "$SCRATCH/err2" || fail "no word about the unwritable directory"
archive=$(ls "$SCRATCH"/home/friday-*.tar.gz 2>/dev/null | head -1)
[ -n "$archive" ] || fail "no archive in TMPDIR: $(cat "$SCRATCH/err2")"
grep -q "$archive" "$SCRATCH/err2" || fail "stderr does not name $archive"
unpack "$archive"
[ "$(jqr '[.stages[].steps[] | select(.status == "failed" or .status == "timeout")] | length')" = 0 ] ||
	fail "steps failed as nobody: $(jqr -c '[.stages[].steps[] | select(.status != "ok")]')"
# Each collector the playbook names says why it did not run, and so do the
# verdicts that wait on them: none claims a measurement it could not make.
[ "$(jqr '.collectors | length')" -ge 1 ] || fail "no collector is recorded as nobody"
[ "$(jqr '[.collectors[] | select(.status != "unavailable" or (.reason | test("needs BPF") | not))] | length')" = 0 ] ||
	fail "a collector does not say it needs BPF: $(jqr -c .collectors)"
[ "$(jqr '[.health[].evidence[] | select(test("did not run|not measured")) | select(test("needs BPF") | not)] | length')" = 0 ] ||
	fail "an unmeasured verdict does not name the missing privilege: $(jqr -c '[.health[].evidence[]]')"
echo "non-root ok ($took s)"
