# static_checks.sh: Monday's static checks see conditions made true on this
# machine, and stop seeing them once undone. A v1 CPU-quota cgroup with a
# spinning shell gives cpu.cgroup_throttled naming the cgroup; a v1
# blkio.throttle.read_iops_device limit on a loop device we create, with
# dd reading it, gives disk.cgroup_io_limit naming cgroup and device; an
# ext4 on that loop device filled past 90% gives filesystem.capacity
# naming the mount; net.ipv4.tcp_slow_start_after_idle set to 0 removes
# network.slow_start_after_idle. Both `friday check` and the archive of
# `friday run -d 3 --stages monday` must show them. Everything is undone in
# at_exit (also on failure). Then `friday check` as user nobody still runs
# and prints findings.
. tests/lib.sh
need_root
# One copy at a time on a shared machine: the sysctl is host-wide.
exec 9> /tmp/friday-a2-static-checks.lock
flock -w 120 9 || fail "another static_checks.sh holds the lock for over 120 s"

# Names of our own, per run: other copies of this test may run at once.
CPU_NAME=friday-a2-quota-$$
IO_NAME=friday-a2-io-$$
CPU_CG=/sys/fs/cgroup/cpu/$CPU_NAME
IO_CG=/sys/fs/cgroup/blkio/$IO_NAME
SYSCTL=/proc/sys/net/ipv4/tcp_slow_start_after_idle
[ -d /sys/fs/cgroup/cpu ] && [ -d /sys/fs/cgroup/blkio ] || fail "no cgroup v1 cpu and blkio controllers here"

# The conditions ---------------------------------------------------------
old_slow_start=$(cat $SYSCTL)
at_exit "echo $old_slow_start > $SYSCTL"
echo 0 > $SYSCTL

mkdir "$CPU_CG"
at_exit "cg_remove $CPU_CG"
echo 100000 > "$CPU_CG/cpu.cfs_period_us"
echo 10000 > "$CPU_CG/cpu.cfs_quota_us"
sh -c 'while :; do :; done' &
echo $! > "$CPU_CG/cgroup.procs"

scratch_ext4 friday-a2 24M -m 0
loop=$(basename "$LOOPDEV")
majmin=$(cat "/sys/block/$loop/dev")
# Fill it to about 95% of its blocks.
avail_kb=$(df -k --output=avail "$MNT" | tail -1)
size_kb=$(df -k --output=size "$MNT" | tail -1)
fill_kb=$((avail_kb - size_kb * 5 / 100))
fallocate -l "${fill_kb}K" "$MNT/fill"

mkdir "$IO_CG"
at_exit "cg_remove $IO_CG"
echo "$majmin 50" > "$IO_CG/blkio.throttle.read_iops_device"
sh -c "echo \$\$ > $IO_CG/cgroup.procs; exec dd if=$LOOPDEV of=/dev/null bs=4096 iflag=direct count=100000 status=none" &
sleep 1   # some throttled CPU periods and some throttled reads

# friday check sees them ------------------------------------------------
"$FRIDAY" check -v > "$SCRATCH/check.txt" || fail "friday check exited $?"
grep -q 'cpu.cgroup_throttled' "$SCRATCH/check.txt" || fail "check shows no cpu.cgroup_throttled"
grep -q "cgroup /$CPU_NAME (v1 cpu) was throttled" "$SCRATCH/check.txt" ||
	fail "check does not name the throttled cgroup"
grep -q "cgroup /$IO_NAME (v1 blkio) has an I/O limit on $loop ($majmin)" "$SCRATCH/check.txt" ||
	fail "check does not name the I/O-limited cgroup and $loop"
grep -q "friday-a2-mnt (ext4 on $LOOPDEV) is 9[0-9]% full" "$SCRATCH/check.txt" ||
	fail "check does not show the nearly full file system"
grep -q 'network.slow_start_after_idle' "$SCRATCH/check.txt" &&
	fail "slow start after idle reported while it is 0"

# ... and so does the archive of a Monday run --------------------------
"$FRIDAY" run -d 3 --stages monday -o "$SCRATCH/run.tar.gz" > /dev/null 2>&1 || fail "friday run exited $?"
unpack "$SCRATCH/run.tar.gz"
[ "$(jqr '[.stages[].steps[] | select(.id == "static-checks" or .id == "past-errors") | .status] | join(",")')" = "ok,ok" ] ||
	fail "static-checks and past-errors steps are not both ok"
thr='.findings[] | select(.id == "cpu.cgroup_throttled" and .evidence.cgroup == $cg)'
sev=$(jqr --arg cg "/$CPU_NAME" "$thr | .severity")
[ "$sev" = critical ] || fail "throttled cgroup severity is '$sev', not critical (quota 10% of a spinning CPU)"
[ "$(jqr --arg cg "/$CPU_NAME" "$thr | .evidence.hierarchy")" = "v1 cpu" ] ||
	fail "throttled cgroup's hierarchy is not v1 cpu"
jqr --arg cg "/$CPU_NAME" "$thr | .evidence.throttled_pct" |
	awk '{ exit !($1 > 50) }' || fail "throttled_pct not above 50 for a 10% quota on a spinning loop"
io=$(jqr ".findings[] | select(.id == \"disk.cgroup_io_limit\" and .evidence.cgroup == \"/$IO_NAME\")")
[ "$(echo "$io" | jq -r .evidence.device)" = "$loop" ] || fail "I/O limit finding names device '$(echo "$io" | jq -r .evidence.device)', not $loop"
[ "$(echo "$io" | jq -r .evidence.limits.riops)" = 50 ] || fail "I/O limit finding lacks riops=50"
[ "$(echo "$io" | jq -r .severity)" = warning ] || fail "I/O limit on a busy cgroup is not a warning"
[ "$(jqr "[.findings[] | select(.id == \"filesystem.capacity\" and .evidence.source == \"$LOOPDEV\")] | length")" = 1 ] ||
	fail "archive lacks filesystem.capacity for $LOOPDEV"
[ "$(jqr '[.findings[] | select(.id == "network.slow_start_after_idle")] | length')" = 0 ] ||
	fail "archive reports slow start after idle while it is 0"

# Undone, they are gone (and slow start is back) --------------------------
cg_remove "$CPU_CG"
cg_remove "$IO_CG"
umount "$MNT"
echo 1 > $SYSCTL
"$FRIDAY" check -v > "$SCRATCH/after.txt" || fail "friday check exited $?"
grep -Eq "$CPU_NAME|$IO_NAME|$LOOPDEV" "$SCRATCH/after.txt" && fail "findings about friday-a2 remain after cleanup"
grep -q 'network.slow_start_after_idle' "$SCRATCH/after.txt" || fail "slow start after idle not reported at 1"
echo "$old_slow_start" > $SYSCTL

# Unprivileged: still runs, prints findings, says what it could not read --
mkdir -m 755 "$SCRATCH/bin"
chmod 755 "$SCRATCH"
cp "$FRIDAY" "$SCRATCH/bin/friday"
setpriv --reuid=65534 --regid=65534 --clear-groups "$SCRATCH/bin/friday" check > "$SCRATCH/nobody.txt" 2>&1 ||
	fail "friday check as nobody exited $?: $(cat "$SCRATCH/nobody.txt")"
grep -q '^friday check: [0-9]* checks' "$SCRATCH/nobody.txt" || fail "no header as nobody"
grep -Eq '^(info|warning|critical) ' "$SCRATCH/nobody.txt" || fail "no findings printed as nobody"
grep -q 'syscalls.perf_restricted' "$SCRATCH/nobody.txt" || fail "nobody is not told perf events are restricted"
if [ "$(cat /proc/sys/kernel/dmesg_restrict)" = 1 ]; then
	grep -q 'ERR-01..13.*/dev/kmsg' "$SCRATCH/nobody.txt" || fail "nobody is not told why the kernel log was not read"
fi
echo "static checks ok: throttled, I/O-limited, full and sysctl conditions seen and unseen; nobody ok"
