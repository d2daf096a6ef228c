# cppcheck.sh: the static-analysis gate: cppcheck finds nothing in friday's
# user-space C (the BPF programs are checked by the kernel's verifier).
# Flags: --enable=warning,portability (real defects and non-portable code;
# style is left to review), C11 with _GNU_SOURCE as the Makefile builds,
# --library=tests/cppcheck/friday.cfg for the jansson and libbpf iteration
# macros (their headers are not read: that is slow and reports on them),
# --inline-suppr so a false positive is silenced where it is, with a why.
. tests/lib.sh

command -v cppcheck > /dev/null || fail "cppcheck is not installed (make deps installs it)"
srcs=$(ls lib/*.c checks/*.c playbooks/*.c reports/*.c cli/*.c bpf/*.c | grep -v '\.bpf\.c$')
rc=0
cppcheck -q --enable=warning,portability --std=c11 -D_GNU_SOURCE -D__x86_64__ \
	--library=tests/cppcheck/friday.cfg --suppress=missingIncludeSystem --inline-suppr \
	--error-exitcode=1 -j2 -I. $srcs > "$SCRATCH/cppcheck.log" 2>&1 || rc=$?
[ $rc = 0 ] || fail "cppcheck: $(grep -E '(error|warning|portability):' "$SCRATCH/cppcheck.log" | head -30)"
echo "cppcheck clean on $(echo $srcs | wc -w) files"
