# lib.sh: shared helpers for the integration and scenario tests: a scratch
# directory removed on exit (also on failure), cleanup hooks, assertions,
# scratch file systems and cgroups that are undone on exit, and reading an
# unpacked archive's report.json with jq.
set -eu
FRIDAY=${FRIDAY:-$PWD/build/friday}
WORKLOADS=${WORKLOADS:-$PWD/build/workloads}
SCRATCH=$(mktemp -d /tmp/friday-test.XXXXXX)
# One friday at a time per host (lib/instance.h): each test gets its own
# lock, so suites of several worktrees on one machine do not refuse each
# other; clean_exits.sh tests the refusal itself.
export FRIDAY_LOCK="$SCRATCH/friday.lock"
CLEANUPS=""

# at_exit CMD: run CMD when the test ends, last registered first.
at_exit() { CLEANUPS="$1
$CLEANUPS"; }
run_cleanups() {
	status=$?
	set +e
	printf '%s\n' "$CLEANUPS" | while IFS= read -r c; do [ -n "$c" ] && eval "$c"; done
	rm -rf "$SCRATCH"
	exit $status
}
trap run_cleanups EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
assert() { desc=$1; shift; "$@" || fail "$desc"; }
need_root() { [ "$(id -u)" = 0 ] || fail "this test needs root (CI runs as root)"; }

# scratch_ext4 NAME SIZE [MKFS_OPTION...]: an ext4 of SIZE on a loop device
# over $SCRATCH/NAME.img, mounted at $SCRATCH/NAME-mnt; sets LOOPDEV and
# MNT. Each step registers its undoing before the next one can fail, so a
# failing test leaves no loop device or mount behind (unmount first).
scratch_ext4() {
	MNT="$SCRATCH/$1-mnt"
	truncate -s "$2" "$SCRATCH/$1.img"
	LOOPDEV=$(losetup -f --show "$SCRATCH/$1.img") || fail "no free loop device"
	at_exit "losetup -d $LOOPDEV"
	shift 2
	mkfs.ext4 -q "$@" "$LOOPDEV" || fail "mkfs.ext4 $LOOPDEV"
	mkdir "$MNT"
	mount "$LOOPDEV" "$MNT" || fail "cannot mount $LOOPDEV"
	at_exit "mountpoint -q $MNT && umount $MNT"
}

# cg_remove DIR: kills the processes of a cgroup of the test's own, waits
# up to 10 s for them to leave (rmdir fails while any is in), removes it.
# For at_exit: a missing DIR is not an error.
cg_remove() {
	[ -d "$1" ] || return 0
	for pid in $(cat "$1/cgroup.procs"); do kill "$pid" 2>/dev/null; done
	for _ in $(seq 100); do [ -z "$(cat "$1/cgroup.procs")" ] && break; sleep 0.1; done
	rmdir "$1"
}

# unpack ARCHIVE: unpacks into $SCRATCH/unpacked and sets REPORT_DIR.
unpack() {
	rm -rf "$SCRATCH/unpacked"
	mkdir -p "$SCRATCH/unpacked"
	tar -xzf "$1" -C "$SCRATCH/unpacked" || fail "cannot unpack $1"
	REPORT_DIR=$(find "$SCRATCH/unpacked" -mindepth 1 -maxdepth 1 -type d | head -1)
	[ -f "$REPORT_DIR/report.json" ] || fail "no report.json in $1"
}
# jqr FILTER: runs jq on the unpacked report.json.
jqr() { jq -r "$@" "$REPORT_DIR/report.json"; }
