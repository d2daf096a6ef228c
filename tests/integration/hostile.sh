# hostile.sh: friday on a host that makes life hard, each case cheap: a
# read-only /tmp and a noexec /tmp (private mount namespaces), no tracefs
# mount (friday mounts it for the run, says so, and unmounts it after), a
# memory limit on friday's own cgroup (a v1 or v2 memory cgroup made here),
# and thousands of short-lived processes during the run. Each run exits 0
# with an archive that unpacks, ends on time, and every collector that did
# not run says why.
. tests/lib.sh
need_root

# Archives and the lock outside /tmp, which some cases hide; so is the
# binary, when the checkout itself lies under /tmp.
case "$PWD" in
/tmp/*) out=$(mktemp -d /var/tmp/friday-hostile.XXXXXX) ;;
*) out=$(mktemp -d "$PWD/${BUILD:-build}/hostile.XXXXXX") ;;
esac
at_exit "rm -rf '$out'"
case "$FRIDAY" in
/tmp/*) cp "$FRIDAY" "$out/friday" && FRIDAY="$out/friday" ;;
esac
export FRIDAY_LOCK="$out/friday.lock"
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# verify NAME: the archive NAME unpacks; every collector ran or says why.
verify() {
	unpack "$out/$1.tar.gz"
	jqr -r '.collectors | to_entries[] | select(.value.status != "ok") |
		select((.value.reason // "") == "") | .key' > "$SCRATCH/mute"
	[ ! -s "$SCRATCH/mute" ] || fail "$1: collectors without a reason: $(cat "$SCRATCH/mute")"
	echo "$1: $(jqr -c '[.collectors | to_entries[] | "\(.key) \(.value.status)"]')"
}

# 1-2. /tmp read-only, then noexec.
for opts in ro noexec,nosuid,nodev; do
	name=tmp-${opts%%,*}
	unshare -m sh -c "mount -t tmpfs -o $opts,size=1m friday-hostile /tmp &&
		exec '$FRIDAY' run -d 4 --stages monday,tuesday -o '$out/$name.tar.gz'" \
		> /dev/null 2> "$out/$name.err" || fail "$name: friday exited $?: $(tail -3 "$out/$name.err")"
	verify $name
	[ "$(jqr .collectors.syscount.status)" = ok ] || fail "$name: syscount $(jqr -c .collectors.syscount)"
done

# 3. No tracefs: friday mounts it for the run and unmounts it after.
unshare -m sh -c "umount /sys/kernel/debug 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null;
	[ ! -d /sys/kernel/tracing/events ] || exit 3
	'$FRIDAY' run -d 4 --stages monday,tuesday -o '$out/notracefs.tar.gz' > /dev/null || exit 4
	[ ! -d /sys/kernel/tracing/events ] || exit 5" 2> "$out/notracefs.err" || {
	rc=$?
	[ $rc != 3 ] || fail "tracefs could not be unmounted in a private namespace"
	[ $rc != 5 ] || fail "friday left tracefs mounted: $(grep -i tracefs "$out/notracefs.err")"
	fail "no tracefs: friday exited badly ($rc): $(tail -3 "$out/notracefs.err")"
}
verify notracefs
jqr .capabilities.tracefs.reason | grep -q "friday mounted it" ||
	fail "capabilities.tracefs does not say friday mounted it: $(jqr -c .capabilities.tracefs)"

# 4. A memory limit on friday's own cgroup: 128 MiB, BPF maps included.
# The profile step's stack maps alone take 96 MiB: what does not fit is
# not started, and says so, rather than friday being OOM-killed.
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
	cg=/sys/fs/cgroup/friday-hostile-$$
	mkdir "$cg"
	echo $((128 << 20)) > "$cg/memory.max"
	procs=$cg/cgroup.procs
else
	cg=/sys/fs/cgroup/memory/friday-hostile-$$
	mkdir "$cg"
	echo $((128 << 20)) > "$cg/memory.limit_in_bytes"
	procs=$cg/cgroup.procs
fi
at_exit "rmdir '$cg' 2>/dev/null"
sh -c "echo \$\$ > '$procs' && exec '$FRIDAY' run -d 8 --stages monday,tuesday,wednesday \
	-o '$out/memlimit.tar.gz'" > /dev/null 2> "$out/memlimit.err" ||
	fail "under a 128 MiB limit friday exited $?: $(tail -3 "$out/memlimit.err")"
verify memlimit
jqr -r '.collectors | to_entries[] | select(.value.status == "unavailable") | .value.reason' |
	while read -r why; do
		echo "$why" | grep -q "memory cgroup" || fail "memlimit: a collector not run says: $why"
	done
[ "$(jqr '[.collectors[] | select(.status == "unavailable")] | length')" -ge 1 ] ||
	fail "memlimit: every collector started under 128 MiB (no check of the limit?)"
echo "memlimit: peak RSS $(jqr .overhead.tool_max_rss_kib) KiB;" \
	"$(jqr -r '[.collectors | to_entries[] | select(.value.status != "ok") | .key] | join(", ")') not started"

# 5. Thousands of short-lived processes during the run (two forkers).
for i in 1 2; do
	"$WORKLOADS/forkstorm" 12 > "$SCRATCH/forks$i" &
	at_exit "kill $! 2>/dev/null"
done
start=$(ms_now)
"$FRIDAY" run -d 6 --stages monday,tuesday -o "$out/churn.tar.gz" > /dev/null 2> "$out/churn.err" ||
	fail "churn: friday exited $?: $(tail -3 "$out/churn.err")"
took=$(($(ms_now) - start))
wait
forks=$(($(sed -n 's/^forks_per_s //p' "$SCRATCH/forks1") + $(sed -n 's/^forks_per_s //p' "$SCRATCH/forks2")))
verify churn
# thousands over the 12 s, even on a machine shared with other work
[ $((forks * 12)) -ge 1500 ] || fail "churn: only $forks forks/s: no storm"
[ $took -le 11000 ] || fail "churn: run -d 6 took $took ms"
[ "$(jqr .collectors.proclife.status)" = ok ] || fail "churn: proclife $(jqr -c .collectors.proclife)"
[ "$(jqr '.collectors.proclife.lost_events | type')" = number ] || fail "churn: proclife lost events not reported"
echo "churn: $forks forks/s; run -d 6 took $took ms; proclife lost $(jqr .collectors.proclife.lost_events)," \
	"saw $(jqr '.measurements.proclife.forks_per_s // .measurements.proclife.rates.forks_per_s // "?"') forks/s"
echo "hostile ok"
