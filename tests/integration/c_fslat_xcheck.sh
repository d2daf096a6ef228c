# c_fslat_xcheck.sh: fslat counts a known file-system workload exactly and
# names its file. On an ext4 of our own on a loop device,
# build/workloads/c_fsync_writer waits on a FIFO, friday watches only it
# (-p), then it makes 230 write(2)s of 4 KiB with an fsync(2) after every
# 10th (23 fsyncs), one fdatasync(2), and prints its summary to /dev/null.
# Tolerance: none. Every call is inside the window, so the counts must be
# 230, 23 and 1 exactly and the bytes 230 x 4096; its read of the FIFO and
# its write to /dev/null are not regular files and must not count. The
# slow-call threshold is set to 10 us for this run (knob slow_ms), so every
# fsync is a "slow" call: the table must hold all 23 and name the file by
# its full path. The loop device, mount and processes go in at_exit.
. tests/lib.sh
. tests/tuesday_lib.sh
need_root

scratch_ext4 friday-fs-xc-$$ 64M
mkdir "$MNT/db"
file="$MNT/db/journal.dat"

# Opened read-write, the FIFO does not block the shell: the program starts
# (the loader reads its libraries) before friday attaches, then waits.
mkfifo "$SCRATCH/go"
"$WORKLOADS/c_fsync_writer" -g "$file" 230 10 4096 <> "$SCRATCH/go" > /dev/null &
wl=$!
at_exit "kill $wl 2>/dev/null"
cat > "$SCRATCH/xcheck.json" <<JSON
{ "name": "xcheck-fslat", "description": "cross-check of fslat",
  "stages": [ { "id": "tuesday", "title": "one probe",
    "steps": [ { "id": "probe", "run": "collect", "weight": 1, "collectors": ["fslat"],
                 "knobs": { "fslat": { "slow_ms": 0.01 } } } ] } ] }
JSON
gated_run 5 "$SCRATCH/xcheck.json" probe $wl -p $wl
[ "$(jqr .collectors.fslat.status)" = ok ] || fail "fslat: $(jqr -c .collectors.fslat)"
proc=".measurements.fslat.processes[] | select(.pid == $wl)"
count() { jqr "$proc | .ops.$1.count // 0"; }
echo "fslat ($(jqr .measurements.fslat.attach)): write $(count write), fsync $(count fsync)," \
	"fdatasync $(count fdatasync), read $(count read); workload: 230, 23, 1, 0"
[ "$(count write)" = 230 ] || fail "fslat counted $(count write) writes, not 230"
[ "$(count fsync)" = 23 ] || fail "fslat counted $(count fsync) fsyncs, not 23"
[ "$(count fdatasync)" = 1 ] || fail "fslat counted $(count fdatasync) fdatasyncs, not 1"
[ "$(count read)" = 0 ] || fail "the FIFO read was counted as a file-system read: $(jqr -c "$proc | .ops.read")"
[ "$(jqr "$proc | .ops.write.bytes")" = $((230 * 4096)) ] ||
	fail "write bytes $(jqr "$proc | .ops.write.bytes"), not $((230 * 4096))"
[ "$(jqr '[.measurements.fslat.processes[] | select(.pid != '$wl')] | length')" = 0 ] ||
	fail "-p $wl let other processes in: $(jqr -c '[.measurements.fslat.processes[].comm]')"
# The per-operation histogram holds the same calls.
[ "$(jqr '.histograms[] | select(.name == "filesystem.latency") | .per_key.entries[] |
	select(.key == "fsync") | .count')" = 23 ] || fail "filesystem.latency has not 23 fsyncs"
# Every fsync is in the slow-call table, on the file, by its full path.
slow=".measurements.fslat.slow_calls"
n=$(jqr "[$slow.by_file[] | select(.pid == $wl and .op == \"fsync\")] | map(.count) | add")
[ "$n" = 23 ] || fail "$n fsyncs in the slow-call table, not 23: $(jqr -c "$slow.by_file")"
[ "$(jqr "[$slow.by_file[] | select(.pid == $wl and .op == \"fsync\")][0].file")" = "$file" ] ||
	fail "the slow fsyncs name $(jqr "[$slow.by_file[] | select(.op == \"fsync\")][0].file"), not $file"
row=$(jqr -c "[$slow.rows[] | select(.op == \"fsync\")][0]")
echo "slowest fsync: $row"
echo "$row" | jq -e --arg f "$file" --argjson p $wl '.file == $f and .pid == $p and .tid == $p and
	.comm == "c_fsync_writer" and .bytes == 0 and .latency_ms > 0.01' > /dev/null ||
	fail "slow-call row does not name pid, thread, comm and file: $row"
[ "$(jqr "$proc | .ops.fsync.slowest.file")" = "$file" ] ||
	fail "the process's slowest fsync names $(jqr "$proc | .ops.fsync.slowest.file")"
[ "$(jqr '[.outliers[] | select(.name == "filesystem.slow_calls")] | length')" = 1 ] ||
	fail "no filesystem.slow_calls outlier table"
# The heat map (time x latency) holds the same 254 calls, in the window.
heat='.heatmaps[] | select(.name == "filesystem.latency_heatmap")'
[ "$(jqr "[$heat | .counts[][]] | add")" = 254 ] ||
	fail "the heat map holds $(jqr "[$heat | .counts[][]] | add") calls, not 254"
[ "$(jqr "[$heat | .x[]] | max < 6")" = true ] || fail "heat-map columns past the window: $(jqr -c "$heat | .x")"
[ "$(jqr .measurements.fslat.lost_events)" = 0 ] || fail "lost events"
[ "$(jqr .measurements.fslat.slow_calls.lost)" = 0 ] || fail "ring buffer drops"
echo "fsync p50 $(jqr "$proc | .ops.fsync.p50_us") us, p99 $(jqr "$proc | .ops.fsync.p99_us") us;" \
	"BPF $(jqr .overhead.collectors.fslat.bpf_ns_per_run | cut -d. -f1) ns per program run"
