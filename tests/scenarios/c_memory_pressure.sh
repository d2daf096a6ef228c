# c_memory_pressure.sh: the "memory pressure" known workload (SCENARIOS.md).
# Swap on a zram device hot-added for the test, and build/workloads/
# c_mem_toucher writing every page of 256 MiB, pass after pass, in a v1
# memory cgroup limited to 128 MiB (twice its limit): each pass swaps the
# other half out and back in. Once the first pass has filled the memory,
# the archive of `friday run --stages monday,tuesday,thursday` must show
# memory implicated with reclaim (memory.reclaim_stall), swap-ins
# (memory.swapping) and major faults (memory.major_faults), naming the
# process and the cgroup with its limit; Thursday's memory drill-down must
# give the process's reclaim and swap-in latency and fault rate; no other
# subsystem implicated. Cross-check: the swap-ins friday timed in the
# process agree with the kernel's pswpin over the same window (the zram
# swap is the only swap, ours the only process that uses it). Swap, zram
# device, cgroup and process are removed at exit, also on failure.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

NAME=friday-scen-mp-$$
CG=/sys/fs/cgroup/memory/$NAME
LIMIT_MIB=128
TOUCH_MIB=$((LIMIT_MIB * 2))
[ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] || fail "no cgroup v1 memory controller at /sys/fs/cgroup/memory"
[ -d /sys/class/zram-control ] || modprobe zram num_devices=0 2>/dev/null || true
[ -w /sys/class/zram-control/hot_add ] || fail "no zram (modprobe zram): cannot make swap for the test"

# Swap off (pages come back into memory), then the device goes.
zram_remove() {
	swapoff "/dev/zram$1" 2>/dev/null
	echo 1 > "/sys/block/zram$1/reset"
	echo "$1" > /sys/class/zram-control/hot_remove
}

# A zram device of our own: hot-added, so no one else's is touched.
zram=$(cat /sys/class/zram-control/hot_add) || fail "cannot hot-add a zram device"
at_exit "zram_remove $zram"
echo 512M > "/sys/block/zram$zram/disksize"
mkswap "/dev/zram$zram" > /dev/null || fail "mkswap /dev/zram$zram"
swapon -p 100 "/dev/zram$zram" || fail "swapon /dev/zram$zram"

mkdir "$CG"
at_exit "cg_remove $CG"
echo "${LIMIT_MIB}M" > "$CG/memory.limit_in_bytes"
sh -c "echo \$\$ > $CG/cgroup.procs && exec '$WORKLOADS/c_mem_toucher' $TOUCH_MIB 120" \
	> "$SCRATCH/toucher.out" &
toucher=$!
at_exit "kill $toucher 2>/dev/null"
# The first pass fills the memory (minor faults); later ones swap.
i=0
until grep -q '^pass 1$' "$SCRATCH/toucher.out"; do
	i=$((i + 1))
	[ $i -le 600 ] || fail "the toucher did not finish its first pass in 60 s"
	kill -0 $toucher 2>/dev/null || fail "the toucher died: $(cat "$SCRATCH/toucher.out")"
	sleep 0.1
done
grep -qx "$toucher" "$CG/cgroup.procs" || fail "the toucher $toucher is not in $CG"

"$FRIDAY" run -d 16 --stages monday,tuesday,thursday -o "$SCRATCH/mp.tar.gz" \
	> "$SCRATCH/mp.out" 2> "$SCRATCH/mp.err" || fail "friday run exited $?: $(tail -5 "$SCRATCH/mp.err")"
kill $toucher
unpack "$SCRATCH/mp.tar.gz"
[ "$(jqr .collectors.memhealth.status)" = ok ] || fail "memhealth: $(jqr -c .collectors.memhealth)"
[ "$(verdict memory)" = implicated ] || fail "memory is $(verdict memory): $(jqr -c '.health[] | select(.subsystem == "memory")')"

# Reclaim, swap-ins and major faults, the process and the cgroup named ------
for id in memory.reclaim_stall memory.major_faults; do
	f=$(jqr --arg id $id --argjson pid $toucher '[.findings[] | select(.id == $id and .evidence.pid == $pid)][0]')
	[ "$f" != null ] || fail "no $id naming c_mem_toucher (pid $toucher): $(jqr -c '[.findings[] | select(.subsystem == "memory") | .detail]')"
	[ "$(echo "$f" | jq -r .evidence.process)" = c_mem_toucher ] || fail "$id names $(echo "$f" | jq -r .evidence.process)"
	[ "$(echo "$f" | jq -r .evidence.cgroup)" = "/$NAME" ] || fail "$id names cgroup $(echo "$f" | jq -r .evidence.cgroup)"
	[ "$(echo "$f" | jq -r .evidence.cgroup_limit_bytes)" = $((LIMIT_MIB << 20)) ] || fail "$id lacks the cgroup's limit"
done
swap=$(jqr '[.findings[] | select(.id == "memory.swapping")][0]')
[ "$swap" != null ] || fail "no memory.swapping finding"
awk -v si="$(echo "$swap" | jq .evidence.pswpin)" 'BEGIN { exit !(si > 0) }' || fail "no swap-ins: $(echo "$swap" | jq -c .evidence)"

# Thursday's memory drill-down: reclaim and swap-in latency, fault rates ------
[ "$(jqr '.stages[] | select(.id == "thursday") | .steps[] | select(.id == "memory-drill-down") | .status')" = ok ] ||
	fail "the memory drill-down did not run: $(jqr -c '.stages[] | select(.id == "thursday") | .steps')"
mine=$(jqr --argjson pid $toucher '.measurements.memhealth.processes[] | select(.pid == $pid)')
[ -n "$mine" ] || fail "the drill-down does not list c_mem_toucher"
pf() { echo "$mine" | jq -r ".$1"; }
awk -v n="$(pf swapins)" -v a="$(pf swapin_ms_avg)" -v m="$(pf swapin_ms_max)" -v r="$(pf reclaim_ms_avg)" \
	-v f="$(pf faults_per_s)" 'BEGIN { exit !(n > 0 && a > 0 && m >= a && r > 0 && f >= 100) }' ||
	fail "drill-down figures missing: $mine"
jqr '.histograms[] | select(.name == "memory.swapin_latency") | .count' | grep -q '^[1-9]' ||
	fail "no memory.swapin_latency histogram"

# Cross-check: our swap-ins against the kernel's pswpin in the same window ---
si=$(jqr .measurements.memhealth.vmstat.pswpin)
within "$(pf swapins)" "$si" 20 || fail "friday timed $(pf swapins) swap-ins of c_mem_toucher; the kernel counted $si (not within 20%)"

only_implicated memory "$toucher" 1
echo "memory pressure: c_mem_toucher $(pf major_faults) major faults ($(pf major_faults_per_s)/s)," \
	"$(pf swapins) swap-ins timed (kernel pswpin $si), $(pf swapin_ms_avg) ms avg, max $(pf swapin_ms_max) ms;" \
	"reclaim $(pf memcg_reclaim_ms) ms in $(pf memcg_reclaim_nr) cgroup reclaims, max $(pf reclaim_ms_max) ms"
