# c_fslat_fd_reuse.sh: fslat remembers, per thread, what its last fds
# were, so a loop on a socket or device skips the file-table walk; the
# memo must not outlive the file. build/workloads/c_fd_reuse reads one fd
# number while it stands for /dev/zero, then (close(2), open(2)) a regular
# file, then /dev/zero again (dup2(2)), then the file again (dup3(2)):
# 2 x ROUNDS reads (read and pread64) in each phase. Tolerance: none; the
# regular file's reads must be counted exactly (2 x 2 x ROUNDS) and
# /dev/zero's not at all. fslat runs here beside syscount, riding on its
# programs (one pair on raw_syscalls for both: syscount_fs.h), so this also
# checks that mode; c_fslat_xcheck runs fslat alone. The loop device,
# mount and processes go in at_exit.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

ROUNDS=300
scratch_ext4 friday-fs-fd-$$ 32M
file="$MNT/data.bin"
head -c $((ROUNDS * 1024)) /dev/urandom > "$file"   # read(2) never reaches its end

mkfifo "$SCRATCH/go"
"$WORKLOADS/c_fd_reuse" "$file" $ROUNDS <> "$SCRATCH/go" > "$SCRATCH/wl.out" &
wl=$!
at_exit "kill $wl 2>/dev/null"
cat > "$SCRATCH/fd.json" <<JSON
{ "name": "fd-reuse-fslat", "description": "fslat's fd memo against fd reuse",
  "stages": [ { "id": "tuesday", "title": "one probe",
    "steps": [ { "id": "probe", "run": "collect", "weight": 1, "collectors": ["syscount", "fslat"] } ] } ] }
JSON
gated_run 5 "$SCRATCH/fd.json" probe $wl -p $wl
[ "$(cat "$SCRATCH/wl.out")" = "file_reads $((4 * ROUNDS))" ] || fail "workload: $(cat "$SCRATCH/wl.out")"
[ "$(jqr .collectors.fslat.status)" = ok ] || fail "fslat: $(jqr -c .collectors.fslat)"
jqr .measurements.fslat.programs | grep -q "^syscount's" ||
	fail "fslat did not ride on syscount: $(jqr .measurements.fslat.programs)"
# syscount, on the same programs, still counts every call of the workload:
# 8 x ROUNDS reads and preads in the four phases, and the read of the FIFO
# that let it go (begun before the window; syscount counts at the exit).
sc=$(jqr "[.measurements.syscount.processes[] | select(.pid == $wl) | .top_syscalls[] |
	select(.name == \"read\" or .name == \"pread64\") | .count] | add")
[ "$sc" = $((8 * ROUNDS + 1)) ] || fail "syscount counted $sc reads and preads, not $((8 * ROUNDS + 1))"
proc=".measurements.fslat.processes[] | select(.pid == $wl)"
reads=$(jqr "$proc | .ops.read.count // 0")
preads=$(jqr "$proc | .ops.pread64.count // 0")
echo "fslat ($(jqr .measurements.fslat.attach)): read $reads, pread64 $preads of the file;" \
	"workload: $((2 * ROUNDS)) each, and as many of /dev/zero not to count"
[ "$reads" = $((2 * ROUNDS)) ] || fail "fslat counted $reads reads, not $((2 * ROUNDS))"
[ "$preads" = $((2 * ROUNDS)) ] || fail "fslat counted $preads preads, not $((2 * ROUNDS))"
[ "$(jqr "$proc | .ops.read.bytes")" = $((2 * ROUNDS * 512)) ] ||
	fail "read bytes $(jqr "$proc | .ops.read.bytes"), not $((2 * ROUNDS * 512))"
[ "$(jqr .measurements.fslat.lost_events)" = 0 ] || fail "lost events"
