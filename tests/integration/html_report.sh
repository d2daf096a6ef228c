# html_report.sh: report.html read as a person reads it, in headless
# Chromium from file://: a real run's page, then a page rendered from a
# full report model (tests/unit/test_html.c: a CPU profile, histograms, a
# heat map, outliers). Checks no console error, no request leaving the page,
# verdict tiles and findings equal to report.json, a flame graph search that
# highlights the expected frame with its share, click-to-zoom kept in the
# URL; takes a screenshot (build/test-logs/report-page.png).
. tests/lib.sh
need_root
command -v chromium > /dev/null || fail "chromium is missing (make installs TEST_PKGS)"
command -v node > /dev/null || fail "node is missing (make installs TEST_PKGS)"
BUILD=${BUILD:-build}

out="$SCRATCH/run.tar.gz"
"$FRIDAY" run -d 4 --problem "page test: is the report readable" -o "$out" > /dev/null \
	2> "$SCRATCH/stderr" || fail "friday run exited $?"
unpack "$out"
# A real CPU profile, once Wednesday writes one: search its hottest frame.
needle=""
folded=$(jqr '.profiles[0].folded // empty')
if [ -n "$folded" ] && [ -s "$REPORT_DIR/$folded" ]; then
	needle=$(sort -t' ' -k2 -n -r "$REPORT_DIR/$folded" 2>/dev/null | awk '
		{ sub(/ [0-9]+$/, ""); n = split($0, f, ";"); if (n >= 2) { print f[2]; exit } }')
fi
node tests/browser/check_page.js "$REPORT_DIR" ${needle:+--needle "$needle"} \
	> "$SCRATCH/real.json" || fail "the page of a real run fails the browser checks"
echo "real run page: $(cat "$SCRATCH/real.json")"

mkdir -p "$SCRATCH/fixture"
FRIDAY_HTML_OUT="$SCRATCH/fixture" "$BUILD/tests/test_html" > /dev/null 2>&1 ||
	fail "test_html could not render the fixture page"
node tests/browser/check_page.js "$SCRATCH/fixture" --needle h_needle_frame \
	--screenshot "$BUILD/test-logs/report-page.png" > "$SCRATCH/fixture.json" ||
	fail "the fixture page fails the browser checks"
echo "fixture page: $(cat "$SCRATCH/fixture.json")"
[ -s "$BUILD/test-logs/report-page.png" ] || fail "no screenshot"
echo "html report ok"
