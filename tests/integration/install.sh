# install.sh: `make install PREFIX=... DESTDIR=...` puts friday and its
# docs under DESTDIR/PREFIX and nowhere else, and the installed binary
# runs: --version, list, and caps (whose uprobe trial attaches to the
# installed binary itself).
. tests/lib.sh
need_root

dest="$SCRATCH/dest"
prefix=/opt/friday-helper-b-test
[ ! -e "$prefix" ] || fail "$prefix exists before the test"
make -s install BUILD="${BUILD:-build}" PREFIX="$prefix" DESTDIR="$dest" > "$SCRATCH/make.log" 2>&1 ||
	fail "make install failed: $(tail -5 "$SCRATCH/make.log")"
[ ! -e "$prefix" ] || fail "make install wrote outside DESTDIR, into $prefix"
bin="$dest$prefix/bin/friday"
[ -x "$bin" ] || fail "no executable $bin"
for doc in README.md findings.md report-schema.md; do
	[ -f "$dest$prefix/share/doc/friday/$doc" ] || fail "$doc not installed"
done
extra=$(cd "$dest" && find . -type f | grep -v "^.$prefix/" || true)
[ -z "$extra" ] || fail "installed outside PREFIX: $extra"

"$bin" --version > "$SCRATCH/version" || fail "installed friday --version exited $?"
grep -Eq '^friday [0-9]+\.[0-9]+\.[0-9]+$' "$SCRATCH/version" || fail "odd version: $(cat "$SCRATCH/version")"
[ "$(cat "$SCRATCH/version")" = "$("$FRIDAY" --version)" ] || fail "installed version differs from build/friday"
"$bin" list > "$SCRATCH/list" || fail "installed friday list exited $?"
for what in playbooks checks collectors findings; do
	grep -q "^$what:" "$SCRATCH/list" || fail "installed friday list has no $what"
done
grep -q "fast-by-friday" "$SCRATCH/list" || fail "the embedded playbook is missing from the installed binary"
"$bin" caps --json > "$SCRATCH/caps.json" || fail "installed friday caps exited $?"
[ "$(jq -r .uprobe.ok "$SCRATCH/caps.json")" = "$("$FRIDAY" caps --json | jq -r .uprobe.ok)" ] ||
	fail "the installed binary's uprobe trial differs: $(jq -r .uprobe.reason "$SCRATCH/caps.json")"

# PREFIX defaults to /usr/local.
make -s install BUILD="${BUILD:-build}" DESTDIR="$dest/default" > "$SCRATCH/make2.log" 2>&1 ||
	fail "make install with the default PREFIX failed"
[ -x "$dest/default/usr/local/bin/friday" ] || fail "default PREFIX is not /usr/local"
echo "install ok"
