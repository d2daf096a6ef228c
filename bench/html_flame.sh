#!/bin/sh
# html_flame.sh: report.html with a 100k-frame CPU profile in headless
# Chromium: how long until the page is ready (navigation start to the
# script's end, flame graph drawn) and how long a zoom takes to redraw
# (the draw alone, and a real click to the next animation frame).
# Budgets: ready under 2 s, every zoom under 100 ms; exits 1 over budget.
#   sh bench/html_flame.sh [FRAMES]   (default 100000; after `make`)
set -eu
BUILD=${BUILD:-build}
FRAMES=${1:-100000}
dir=$(mktemp -d /tmp/friday-h-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
make -s "$BUILD/tests/test_html" > /dev/null
t0=$(date +%s%N)
FRIDAY_HTML_OUT="$dir" FRIDAY_HTML_FRAMES="$FRAMES" "$BUILD/tests/test_html" > /dev/null 2>&1
render_ms=$((($(date +%s%N) - t0) / 1000000))
for i in 1 2 3; do
	node tests/browser/check_page.js "$dir" --needle h_needle_frame --bench 8 > "$dir/run$i.json"
	echo "run $i: $(cat "$dir/run$i.json")"
done
echo "rendering the fixture archive (3 renders in test_html, $FRAMES frames): $render_ms ms"
node -e '
const runs = [1, 2, 3].map((i) => JSON.parse(require("fs").readFileSync(process.argv[1] + "/run" + i + ".json")));
const max = (k) => Math.max(...runs.map((r) => r[k]));
console.log(`| ${runs[0].frames} | ${(runs[0].html_bytes / 1048576).toFixed(1)} MiB | ${max("load_ready_ms")} ms | ` +
	`${max("zoom_draw_ms_max").toFixed(1)} ms | ${max("zoom_click_to_frame_ms_max")} ms |`);
' "$dir"
