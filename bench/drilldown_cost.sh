#!/bin/sh
# drilldown_cost.sh: what Thursday's knobs and the timeline probes cost,
# as ratios against a baseline measured in the same run, alternating:
#   1. runqlat's BPF time per sched event with the knobs per_cgroup and
#      outliers: 20 against runqlat without them (Tuesday's), on the
#      run-queue saturation workload (build/workloads/c_spinners);
#   2. getaddrinfo("localhost") (answered from /etc/hosts, so the uprobes
#      dominate) with dnslat attached against without, per call.
# Figures: BPF ns per run from report.overhead.collectors.runqlat (BPF
# run-time stats), and wall time of N lookups. Medians of REPS (default 3).
#
#   sh bench/drilldown_cost.sh
set -eu
REPS=${REPS:-3}
BUILD=${BUILD:-build}
FRIDAY=$BUILD/friday
make -s all "$BUILD/workloads/c_spinners" >/dev/null
out=$(mktemp -d /tmp/friday-bench.XXXXXX)
trap 'rm -rf "$out"; kill $spin 2>/dev/null || true' EXIT

playbook() {	# NAME COLLECTOR KNOBS
	cat > "$out/$1.json" <<JSON
{ "name": "$1", "description": "bench",
  "stages": [ { "id": "thursday", "title": "bench",
    "steps": [ { "id": "probe", "run": "collect", "weight": 1, "collectors": ["$2"],
                 "knobs": { "$2": $3 } } ] } ] }
JSON
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ns_per_run() {	# PLAYBOOK
	"$FRIDAY" run -d 4 --playbook "$out/$1.json" -o "$out/$1.tar.gz" >/dev/null 2>&1
	rm -rf "$out/u" && mkdir "$out/u" && tar -xzf "$out/$1.tar.gz" -C "$out/u"
	jq -r '.overhead.collectors.runqlat.bpf_ns_per_run' "$out"/u/*/report.json
}

playbook base runqlat '{}'
playbook knobs runqlat '{ "per_cgroup": true, "outliers": 20 }'
"$BUILD/workloads/c_spinners" $((REPS * 12 + 10)) >/dev/null &
spin=$!
for i in $(seq "$REPS"); do
	ns_per_run base >> "$out/base.txt"
	ns_per_run knobs >> "$out/knobs.txt"
done
kill $spin 2>/dev/null || true
b=$(median < "$out/base.txt")
k=$(median < "$out/knobs.txt")
echo "runqlat BPF ns per event: Tuesday $b, Thursday knobs $k, ratio $(awk -v b="$b" -v k="$k" 'BEGIN { printf "%.2f", k / b }')"

# getaddrinfo with and without dnslat's uprobes.
cat > "$out/gai.c" <<'C'
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_family = AF_INET }, *res;
	int n = atoi(argv[1]);
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		if (getaddrinfo("localhost", NULL, &hints, &res) == 0)
			freeaddrinfo(res);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
C
cc -O2 -o "$out/gai" "$out/gai.c"
playbook dns dnslat '{}'
for i in $(seq "$REPS"); do
	"$out/gai" 20000 >> "$out/gai_off.txt"
	"$FRIDAY" run -d 6 --playbook "$out/dns.json" -o "$out/dns.tar.gz" >/dev/null 2>"$out/dns.err" &
	fr=$!
	while ! grep -q "probe:" "$out/dns.err" 2>/dev/null; do sleep 0.1; done
	sleep 1
	"$out/gai" 20000 >> "$out/gai_on.txt"
	wait $fr
done
off=$(median < "$out/gai_off.txt")
on=$(median < "$out/gai_on.txt")
echo "getaddrinfo(localhost) ns per call: without dnslat $off, with $on, ratio $(awk -v a="$off" -v b="$on" 'BEGIN { printf "%.2f", b / a }')"
