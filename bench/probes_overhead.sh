#!/bin/sh
# probes_overhead.sh: what all of Tuesday's health probes cost together,
# running for the whole window (issue 3, "Lean"). The probes are the
# collectors of the fast-by-friday playbook's Tuesday collect step, run by
# a one-step playbook made from it.
#  (a) on the host as it is (idle, or with whatever else runs), over a
#      window of IDLE_SECONDS: inside the window, the probes' BPF run time
#      (report.json overhead, BPF_ENABLE_STATS) plus friday's own CPU
#      (polling, the budget), as a percentage of one CPU; and the whole
#      run's CPU (start-up: capabilities, loading and verifying the BPF
#      objects; the archive) beside it;
#  (b) the slowdown of `dd if=/dev/zero of=/dev/null bs=1 count=500k`
#      (a million syscalls) alone, under a one-line bpftrace syscall
#      counter, under friday as it runs by default (overhead budget 2%),
#      and under friday with every probe at full detail for the whole
#      window (--max-overhead 100), side by side in each of REPS rounds
#      (the four in turn, so they share the host's conditions): medians of
#      dd's wall time and of its CPU time (user + system, getrusage; the
#      probes run in dd's context, and CPU time is far less shaken than
#      wall time by other load on a shared host), the rounds friday beat
#      bpftrace in, and friday's per-probe BPF run time during its last dd
#      run. dd runs at nice -20 so that other work on the host delays it
#      less.
#   sh bench/probes_overhead.sh [REPS] [IDLE_SECONDS]   (root, after make;
#   installs Debian's bpftrace when missing). PROBES="a b" runs those
#   collectors instead of Tuesday's (to find which one costs). Prints a
#   markdown table row.
set -eu
BUILD=${BUILD:-build}
FRIDAY=${FRIDAY:-$BUILD/friday}
REPS=${1:-9}
IDLE_S=${2:-20}
DD_COUNT=500k
[ "$(id -u)" = 0 ] || { echo "probes_overhead.sh: needs root (BPF)" >&2; exit 1; }
[ -x "$FRIDAY" ] || { echo "probes_overhead.sh: build $FRIDAY first (make)" >&2; exit 1; }
if ! command -v bpftrace > /dev/null; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace > /dev/null
fi
dir=$(mktemp -d /tmp/friday-probes-bench.XXXXXX)
bg=""
trap '[ -n "$bg" ] && kill $bg 2>/dev/null; rm -rf "$dir"' EXIT

# The Tuesday probes, as the default playbook lists them.
collectors=$(jq -c '[.stages[] | select(.id == "tuesday") | .steps[] | select(.run == "collect") |
	.collectors[]]' playbooks/fast-by-friday.json)
[ -n "${PROBES:-}" ] && collectors=$(printf '%s\n' $PROBES | jq -R . | jq -cs .)
cat > "$dir/tuesday.json" <<JSON
{ "name": "bench-tuesday-probes", "description": "Tuesday's health probes only, for probes_overhead.sh",
  "stages": [ { "id": "tuesday", "title": "health probes",
    "steps": [ { "id": "health-probes", "run": "collect", "weight": 1, "collectors": $collectors } ] } ] }
JSON

# dd_ms: "WALL_MS CPU_MS" of one dd.
dd_ms() {
	python3 -c '
import resource, subprocess, sys, time
t0 = time.monotonic()
subprocess.run(["nice", "-n", "-20", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=" + sys.argv[1], "status=none"], check=True)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(round(wall * 1000), round((ru.ru_utime + ru.ru_stime) * 1000))' "$DD_COUNT"
}
# wait_for FILE TEXT SECONDS
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($3 * 10)) ] || { echo "no '$2' in $1 after $3 s: $(cat "$1")" >&2; exit 1; }
		sleep 0.1
	done
}
# stop_bg: SIGINT (friday writes its archive, bpftrace prints its map),
# then SIGTERM after 20 s: a background job of a non-interactive shell
# starts with SIGINT ignored, and bpftrace once sat through it.
stop_bg() {
	kill -INT $bg 2>/dev/null || true
	i=0
	while kill -0 $bg 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	kill -TERM $bg 2>/dev/null || true
	wait $bg 2>/dev/null || true
	bg=""
}
# median COLUMN < FILE
median() { awk -v c="$1" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

# (a) the probes on the host as it is ------------------------------------------
"$FRIDAY" run -d "$IDLE_S" --playbook "$dir/tuesday.json" -o "$dir/idle.tar.gz" > /dev/null 2>&1
mkdir "$dir/idle"
tar -xzf "$dir/idle.tar.gz" -C "$dir/idle"
idle=$(find "$dir/idle" -name report.json)
idle_line=$(jq -r '
	.overhead.budget.windows[0] as $w |
	def pct: . * 1000 | floor / 1000;
	"window \($w.window_s * 10 | floor / 10) s: BPF \($w.bpf_run_s / $w.window_s * 100 | pct)% of one CPU, " +
	"friday \($w.tool_cpu_s / $w.window_s * 100 | pct)%, together \(($w.bpf_run_s + $w.tool_cpu_s) / $w.window_s * 100 | pct)%; " +
	"whole run: friday \(.overhead.tool_cpu_s * 100 | floor / 100) s of CPU, stats switched \($w.bpf_stats_switches) times"' "$idle")
echo "(a) all Tuesday probes on this host: $idle_line"
jq -r '.overhead.collectors | to_entries[] | "    \(.key): \(.value.bpf_run_count // 0) runs, \((.value.bpf_run_time_ns // 0) / 1e6) ms"' "$idle"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# (b) dd alone, under bpftrace, under friday (default, full detail) -----------------
# friday_dd OUT [ARGS]: dd under a Tuesday friday run started with ARGS.
friday_dd() {
	out=$1; shift
	"$FRIDAY" run -d 60 "$@" --playbook "$dir/tuesday.json" -o "$dir/f.tar.gz" > /dev/null 2> "$dir/f.err" &
	bg=$!
	wait_for "$dir/f.err" "health-probes" 30
	sleep 2   # every collector attached: they start one after another
	dd_ms >> "$out"
	stop_bg
}
: > "$dir/alone"; : > "$dir/bpftrace"; : > "$dir/friday"; : > "$dir/full"
for rep in $(seq "$REPS"); do
	dd_ms >> "$dir/alone"

	bpftrace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }' > "$dir/bt.out" 2>&1 &
	bg=$!
	wait_for "$dir/bt.out" "Attaching" 30
	sleep 1
	dd_ms >> "$dir/bpftrace"
	stop_bg

	friday_dd "$dir/friday"
	friday_dd "$dir/full" --max-overhead 100
	echo "round $rep (wall cpu, ms): alone $(tail -1 "$dir/alone"), bpftrace $(tail -1 "$dir/bpftrace")," \
		"friday $(tail -1 "$dir/friday"), full detail $(tail -1 "$dir/full")"
done
alone=$(median 1 < "$dir/alone"); alone_cpu=$(median 2 < "$dir/alone")
bt=$(median 1 < "$dir/bpftrace"); bt_cpu=$(median 2 < "$dir/bpftrace")
fr=$(median 1 < "$dir/friday"); fr_cpu=$(median 2 < "$dir/friday")
fu=$(median 1 < "$dir/full"); fu_cpu=$(median 2 < "$dir/full")
# wins FILE: the rounds whose dd CPU under FILE's tool was below bpftrace's.
wins() { paste "$1" "$dir/bpftrace" | awk '$2 < $4 { n++ } END { print n + 0 }'; }
mkdir "$dir/last"
tar -xzf "$dir/f.tar.gz" -C "$dir/last"
echo "friday's probes at full detail during its last dd round (BPF run time, ns per run):"
jq -r '.overhead.collectors | to_entries[] |
	"    \(.key): \(.value.bpf_run_count // 0) runs, \((.value.bpf_run_time_ns // 0) / 1e6 | floor) ms, \(.value.bpf_ns_per_run // 0 | floor) ns/run"' \
	"$(find "$dir/last" -name report.json)"
echo "(b) dd bs=1 count=$DD_COUNT, median of $REPS: wall alone $alone ms, bpftrace $bt ms" \
	"($(ratio "$alone" "$bt")x), friday $fr ms ($(ratio "$alone" "$fr")x), full detail $fu ms" \
	"($(ratio "$alone" "$fu")x); CPU alone $alone_cpu ms, bpftrace $bt_cpu ms ($(ratio "$alone_cpu" "$bt_cpu")x)," \
	"friday $fr_cpu ms ($(ratio "$alone_cpu" "$fr_cpu")x, below bpftrace in $(wins "$dir/friday") of $REPS rounds)," \
	"full detail $fu_cpu ms ($(ratio "$alone_cpu" "$fu_cpu")x, below bpftrace in $(wins "$dir/full") of $REPS rounds);" \
	"load average before: $load_before"
echo "| $(date -u +%Y-%m-%d) | $REPS | $idle_line | $alone / $alone_cpu ms |" \
	"$bt / $bt_cpu ms ($(ratio "$alone_cpu" "$bt_cpu")x) |" \
	"$fr / $fr_cpu ms ($(ratio "$alone_cpu" "$fr_cpu")x, $(wins "$dir/friday")/$REPS) |" \
	"$fu / $fu_cpu ms ($(ratio "$alone_cpu" "$fu_cpu")x, $(wins "$dir/full")/$REPS) | $load_before |"
