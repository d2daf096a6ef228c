# fuzz_playbook.sh: the playbook parser's libFuzzer target builds and takes
# 20000 mutated inputs, seeded with every playbook and fixture, without a
# crash, a sanitizer report or a leak. `make fuzz` runs it for 10 minutes.
. tests/lib.sh
make -s "${BUILD:-build}/fuzz/fuzz_playbook" > "$SCRATCH/build.log" 2>&1 ||
	fail "the fuzz target does not build: $(tail -5 "$SCRATCH/build.log")"
mkdir -p "$SCRATCH/corpus"
cp playbooks/*.json tests/fixtures/playbooks/*.json "$SCRATCH/corpus/"
"${BUILD:-build}/fuzz/fuzz_playbook" -runs=20000 -seed=1 -max_len=4096 \
	-dict=tests/fuzz/playbook.dict "$SCRATCH/corpus" > "$SCRATCH/fuzz.log" 2>&1 ||
	fail "the fuzzer found a crash: $(grep -E 'ERROR|SUMMARY' "$SCRATCH/fuzz.log" | head -5)"
grep -q "Done 20000 runs" "$SCRATCH/fuzz.log" || fail "the fuzzer did not finish its runs: $(tail -3 "$SCRATCH/fuzz.log")"
echo "fuzz_playbook: ok"
