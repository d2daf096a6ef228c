# archive_limits.sh: the archive's hygiene on a real run. Where the free
# space is too small for the report itself (a 16 KiB tmpfs), `friday run`
# says how much it needs and how much is free, exits 1 and leaves nothing
# behind; with room for the report but not its artifacts, it writes what
# fits and says what it cut; --max-archive-mb is checked as usage.
. tests/lib.sh
need_root

mnt="$SCRATCH/tiny-h"
mkdir -p "$mnt"
mount -t tmpfs -o size=16k friday-h-tiny "$mnt" || fail "cannot mount a tmpfs"
at_exit "umount '$mnt' 2>/dev/null"
set +e
"$FRIDAY" run -d 2 --stages monday -o "$mnt/x.tar.gz" > /dev/null 2> "$SCRATCH/err"
rc=$?
set -e
[ $rc = 1 ] || fail "a run into 16 KiB exited $rc, not 1"
grep -q "KiB are free" "$SCRATCH/err" || fail "no clear reason: $(cat "$SCRATCH/err")"
[ -z "$(ls -A "$mnt")" ] || fail "left behind: $(ls -A "$mnt")"
echo "too small: $(grep 'KiB are free' "$SCRATCH/err")"

# A run with profiles into a file system with room for the report but not
# for every artifact: the profiles' files are cut, the biggest first. The
# room is sized from an earlier run's files, as friday counts them
# (reports/render.c: each file's bytes plus 1536, manifest.json aside),
# less half its profiles, plus the 4 MiB friday keeps free. Runs differ
# (the host's stacks): a run small enough to fit uncut must then really
# fit, and the next try is sized from it.
counted_k() {
	find "$REPORT_DIR" -type f ! -name manifest.json -printf '%s\n' |
		awk '{ t += $1 + 1536 } END { print int((t + 1536) / 1024) }'
}
profiles_k() { find "$REPORT_DIR/profiles" -type f -printf '%s\n' 2>/dev/null | awk '{ t += $1 } END { print int(t / 1024) }'; }
"$FRIDAY" run -d 4 --stages monday,wednesday -o "$SCRATCH/full.tar.gz" > /dev/null 2>&1 ||
	fail "the reference run failed"
unpack "$SCRATCH/full.tar.gz"
total_k=$(counted_k)
folded_k=$(profiles_k)
[ "${folded_k:-0}" -ge 8 ] || { echo "no profile big enough to cut on this host; size checks skipped"; exit 0; }
umount "$mnt"
for try in 1 2 3; do
	room_k=$((total_k - folded_k / 2 + 4096))
	mount -t tmpfs -o size=${room_k}k friday-h-tiny "$mnt" || fail "cannot mount a ${room_k}k tmpfs"
	"$FRIDAY" run -d 4 --stages monday,wednesday -o "$mnt/cut.tar.gz" > /dev/null 2> "$SCRATCH/err" ||
		fail "a run that fits once cut exited $?: $(cat "$SCRATCH/err")"
	unpack "$mnt/cut.tar.gz"
	umount "$mnt"
	[ "$(jqr '.run.cut | length')" -ge 1 ] && break
	# Nothing cut: right only when every file fit in the room.
	[ "$(counted_k)" -le $((room_k - 4096 + 4)) ] ||
		fail "nothing was cut into ${room_k}k, yet the files take $(counted_k) KiB of its $((room_k - 4096)) KiB"
	echo "try $try: this run's files ($(counted_k) KiB) fit ${room_k}k uncut; sizing the next from it"
	total_k=$(counted_k)
	folded_k=$(profiles_k)
done
[ "$(jqr '.run.cut | length')" -ge 1 ] || fail "nothing was cut into ${room_k}k"
jqr '.run.cut[].reason' | grep -q "free space" || fail "cut reason: $(jqr '.run.cut[].reason')"
grep -q "^Cut: " "$REPORT_DIR/summary.txt" || fail "summary.txt does not say what was cut"
grep -q 'id="cut"' "$REPORT_DIR/report.html" || fail "report.html does not say what was cut"
[ "$(jq '.cut | length' "$REPORT_DIR/manifest.json")" -ge 1 ] || fail "manifest.json has no cut list"
awk 'length > 80 { bad = 1 } END { exit bad }' "$REPORT_DIR/summary.txt" || fail "summary.txt over 80 columns"
echo "cut to fit ${room_k}k: $(jqr -c '[.run.cut[].path]')"

set +e
"$FRIDAY" run --max-archive-mb 0 -d 1 2> "$SCRATCH/err"; rc=$?
set -e
[ $rc = 2 ] || fail "--max-archive-mb 0 exited $rc, not 2"
echo "archive limits ok"
