# c_fsync_heavy.sh: the fsync-heavy writer (issue 6's known workload): on an
# ext4 of our own on a loop device, build/workloads/c_fsync_writer writes
# 4 KiB and calls fsync(2) after every write, without pause. Monday and
# Tuesday on the whole host: filesystem must be suspect or implicated, with
# a finding that names the writer (comm and pid) and its file by full path,
# and an I/O-bound finding showing it spent half the window or more in
# file-system calls; no other subsystem may be implicated by it. The loop
# device, mount and writer go in at_exit (also on failure).
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

scratch_ext4 friday-fs-sc-$$ 64M
file="$MNT/wal.log"

"$WORKLOADS/c_fsync_writer" "$file" 0 1 4096 > /dev/null &
wl=$!
at_exit "kill $wl 2>/dev/null; wait $wl 2>/dev/null"
sleep 0.5
tuesday_run 8 fsync
v=$(verdict filesystem)
echo "filesystem: $v: $(jqr '[.health[] | select(.subsystem == "filesystem") | .evidence[]] | join(" | ")')"
case "$v" in suspect | implicated) ;; *) fail "filesystem is $v under an fsync-heavy writer" ;; esac
# The I/O-bound finding names the writer, its share of time and its file.
bound=$(jqr -c "[.findings[] | select(.id == \"filesystem.io_bound\" and .evidence.process.pid == $wl)][0]")
[ "$bound" != null ] || fail "no filesystem.io_bound finding for the writer: $(jqr -c '[.findings[] | select(.subsystem == "filesystem")]')"
echo "$bound" | jq -e --arg f "$file" '.evidence.process.comm == "c_fsync_writer" and
	.evidence.figure >= 0.5 and .evidence.file == $f and (.evidence.op == "fsync" or .evidence.op == "write")' > /dev/null ||
	fail "filesystem.io_bound does not name the writer, its file and its share: $bound"
echo "io_bound: $(echo "$bound" | jq -r .detail)"
# When its fsyncs cross 10 ms (they do on a loaded host; not always on an
# idle one), the slow-fsync finding names the writer and file, and then
# filesystem is implicated.
slow=$(jqr -c "[.findings[] | select(.id == \"filesystem.slow_fsync\" and .evidence.process.pid == $wl)][0]")
if [ "$slow" != null ]; then
	echo "$slow" | jq -e --arg f "$file" '.evidence.file == $f and .evidence.figure >= 10' > /dev/null ||
		fail "filesystem.slow_fsync does not name the file: $slow"
	[ "$v" = implicated ] || fail "slow fsyncs of an I/O-bound writer, yet filesystem is $v"
	echo "slow_fsync: $(echo "$slow" | jq -r .detail)"
else
	echo "NOTE: no fsync of the writer took 10 ms (fsync p99 $(jqr ".measurements.fslat.processes[] |
		select(.pid == $wl) | .ops.fsync.p99_us") us): suspect, not implicated"
fi
only_implicated filesystem "$wl" 1
