# fleet_ansible.sh: contrib/ansible's playbook (Debian's ansible, which
# `make` installs) against an inventory of four hosts on this machine
# (local connections, distinct inventory names): two run friday for real in
# parallel (-d 8, the quick playbook; one with a copied binary, one with an
# "installed" one), one gets a bad option and one a process name that does
# not exist. One archive per good host comes back, named after its
# inventory name, and unpacks with a report.json aimed at the named
# process; the failing hosts send back their log and reason; `friday show`
# over the archives names each host (file names beside the repeated host
# name) and still prints when an archive is missing or damaged.
. tests/lib.sh
need_root
command -v ansible-playbook > /dev/null ||
	fail "ansible-playbook is missing: make installs Debian's ansible (TEST_PKGS)"

tag=fleet$$
out=$SCRATCH/archives
remote=$SCRATCH/remote
mkdir -p "$remote" "$SCRATCH/home" "$SCRATCH/async" "$SCRATCH/atmp"

# The process the playbook resolves by name on each host (pgrep -x).
target=fsl$$
cp /bin/sleep "$SCRATCH/$target"
"$SCRATCH/$target" 600 &
target_pid=$!
at_exit "kill $target_pid 2>/dev/null"

cat > "$SCRATCH/inventory" <<EOF
[fleet]
$tag-a ansible_connection=local friday_environment='{"FRIDAY_LOCK": "$SCRATCH/lock-a"}'
$tag-b ansible_connection=local friday_binary_src='' friday_binary=$FRIDAY friday_environment='{"FRIDAY_LOCK": "$SCRATCH/lock-b"}'
$tag-bad ansible_connection=local friday_extra_args='["--no-such-option"]'
$tag-noproc ansible_connection=local friday_process=nosuch$$

[fleet:vars]
ansible_python_interpreter=/usr/bin/python3
friday_binary_src=$FRIDAY
friday_process=$target
friday_remote_tmp=$remote
EOF

# Ansible's own files (temp folders, async job results) stay in $SCRATCH.
set +e
HOME=$SCRATCH/home ANSIBLE_LOCAL_TEMP=$SCRATCH/atmp ANSIBLE_REMOTE_TEMP=$SCRATCH/atmp \
ANSIBLE_ASYNC_DIR=$SCRATCH/async ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ansible-playbook -i "$SCRATCH/inventory" contrib/ansible/friday.yml -f 10 \
	-e friday_become=false -e friday_duration=8 -e friday_playbook=quick \
	-e friday_fetch_dir="$out" -e friday_show_binary="$FRIDAY" > "$SCRATCH/ansible.log" 2>&1
rc=$?
set -e
cat "$SCRATCH/ansible.log"
# 2: ansible-playbook's "one or more hosts failed", for the two bad ones.
[ $rc = 2 ] || fail "ansible-playbook exited $rc, not 2 (two hosts fail on purpose)"
grep -Eq "^$tag-a +: ok=[0-9]+ .* failed=0 " "$SCRATCH/ansible.log" || fail "$tag-a did not succeed"
grep -Eq "^$tag-b +: ok=[0-9]+ .* failed=0 " "$SCRATCH/ansible.log" || fail "$tag-b did not succeed"
grep -Eq "^$tag-bad +: .* failed=1 " "$SCRATCH/ansible.log" || fail "$tag-bad did not fail"

# One archive per good host, named after the inventory host, nothing else.
[ "$(cd "$out" && ls *.tar.gz | tr '\n' ' ')" = "$tag-a.tar.gz $tag-b.tar.gz " ] ||
	fail "archives in $out: $(ls "$out")"
started=""
for h in a b; do
	unpack "$out/$tag-$h.tar.gz"
	[ "$(jqr .run.playbook)" = quick ] || fail "$tag-$h ran playbook $(jqr .run.playbook)"
	[ "$(jqr .run.target)" = "pid $target_pid" ] ||
		fail "$tag-$h aimed at $(jqr .run.target), not $target ($target_pid)"
	[ "$(jqr .host.hostname)" = "$(hostname)" ] || fail "$tag-$h names host $(jqr .host.hostname)"
	[ -s "$out/$tag-$h.log" ] || fail "no log of $tag-$h came back"
	started="$started $(date -d "$(jqr .run.started)" +%s)"
done
# In parallel: the two 8 s windows overlap, so they began less than 8 s
# apart (one after the other they would be 8 s or more apart; started has
# whole seconds).
set -- $started
echo "the runs started $(($1 > $2 ? $1 - $2 : $2 - $1)) s apart"
[ $(($1 > $2 ? $1 - $2 : $2 - $1)) -lt 8 ] || fail "the runs did not overlap: started $1 and $2"

# The failing hosts: their log and reason came back, no archive.
grep -q "unknown option '--no-such-option'" "$out/$tag-bad.log" || fail "the bad host's log did not come back"
grep -q "^$tag-bad: friday run exited 2 (bad usage): .*unknown option '--no-such-option'" \
	"$out/$tag-bad.failed.txt" || fail "the bad host's reason: $(cat "$out/$tag-bad.failed.txt")"
grep -q "^$tag-noproc: Check that the target process runs: no process named nosuch$$ on this host" \
	"$out/$tag-noproc.failed.txt" ||
	fail "the host without the process: $(cat "$out/$tag-noproc.failed.txt")"
grep -q "fatal: \[$tag-bad\]: FAILED! => .*unknown option" "$SCRATCH/ansible.log" ||
	fail "ansible does not say why $tag-bad failed"
# The controller's summary play read the archives together.
grep -q "friday show: 2 archives, 2 read" "$SCRATCH/ansible.log" || fail "no friday show at the end"

# Nothing left on the "hosts": work folders and async jobs removed.
[ -z "$(ls -A "$remote")" ] || fail "work folders left on the host: $(ls "$remote")"
[ -z "$(ls -A "$SCRATCH/async")" ] || fail "async job files left: $(ls "$SCRATCH/async")"

# friday show over the archives names each host; both have one host name,
# so the file name goes beside it.
host=$(hostname)
"$FRIDAY" show "$out"/*.tar.gz > "$SCRATCH/show" || fail "friday show exited $?"
cat "$SCRATCH/show"
for h in a b; do
	grep -Eq "^$host \($tag-$h.tar.gz\) +[ISE?-]( [ISE?-]){7} +[0-9]+ " "$SCRATCH/show" ||
		fail "friday show has no line for $tag-$h"
done
grep -q "^Findings on several hosts" "$SCRATCH/show" || fail "no shared findings section"
"$FRIDAY" show --json "$out"/*.tar.gz > "$SCRATCH/show.json" || fail "show --json exited $?"
[ "$(jq -r '[.hosts[] | select(.ok) | .label] | join(",")' "$SCRATCH/show.json")" = \
	"$host ($tag-a.tar.gz),$host ($tag-b.tar.gz)" ] || fail "show --json labels"
[ "$(jq -r '.schema' "$SCRATCH/show.json")" = friday.fleet/1 ] || fail "show --json schema"

# The bad host's archive is missing and a copy cut short is damaged: each
# its own line, the others still print, exit 1.
head -c 2000 "$out/$tag-a.tar.gz" > "$SCRATCH/cut.tar.gz"
set +e
"$FRIDAY" show "$out/$tag-a.tar.gz" "$out/$tag-bad.tar.gz" "$SCRATCH/cut.tar.gz" \
	"$out/$tag-b.tar.gz" > "$SCRATCH/show2" 2> "$SCRATCH/show2.err"
rc=$?
set -e
cat "$SCRATCH/show2"
[ $rc = 1 ] || fail "show with a missing archive exited $rc, not 1"
grep -Eq "^$tag-bad.tar.gz +unreadable: cannot read .*No such file or directory" "$SCRATCH/show2" ||
	fail "no line for the missing archive"
grep -Eq "^cut.tar.gz +unreadable: .*cut.tar.gz.*(damaged|truncated)" "$SCRATCH/show2" ||
	fail "no line for the damaged archive"
grep -c "^$host ($tag-[ab].tar.gz)" "$SCRATCH/show2" | grep -qx 2 || fail "the others did not print"
grep -q "2 of 4 archives could not be read" "$SCRATCH/show2.err" || fail "no word on stderr"
echo "fleet ok: 2 archives, 2 failures with their reasons"
