# c_dnslat_xcheck.sh: a slow DNS lookup against a resolver that delays its
# answers. The test makes a network namespace of its own, whose
# /etc/resolv.conf (bind-mounted by `ip netns exec` from
# /etc/netns/NAME/) points at 127.0.0.1, where build/workloads/c_slowdns
# answers every query after DELAY_MS; nothing on the host changes. Inside
# it, build/workloads/c_resolve looks a unique name up 3 times with
# getaddrinfo and once with gethostbyname, timing each call itself.
# friday's dnslat (uprobes on the libc every process maps) must list 4
# slow_lookup events for c_resolve naming the host, each at least DELAY_MS
# and within 10% of the client's own figure, and the judge must raise
# network.slow_dns naming c_resolve and the host.
. tests/lib.sh
need_root

DELAY_MS=300
ns="friday-dns-$$"
host="slow-$$.friday.test"
ip netns add "$ns" || fail "cannot make network namespace $ns"
at_exit "ip netns del $ns"
[ -d /etc/netns ] || at_exit "rmdir /etc/netns 2>/dev/null"
at_exit "rm -rf /etc/netns/$ns"
mkdir -p "/etc/netns/$ns"
printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:1\n' > "/etc/netns/$ns/resolv.conf"
printf 'hosts: files dns\n' > "/etc/netns/$ns/nsswitch.conf"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" "$WORKLOADS/c_slowdns" $DELAY_MS > "$SCRATCH/dns.out" 2>&1 &
dns=$!
at_exit "kill $dns 2>/dev/null"
i=0
until grep -q listening "$SCRATCH/dns.out"; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "c_slowdns did not start: $(cat "$SCRATCH/dns.out")"
	sleep 0.1
done

cat > "$SCRATCH/pb.json" <<JSON
{ "name": "xcheck-dnslat", "description": "cross-check of dnslat",
  "stages": [ { "id": "tuesday", "title": "one probe and its rule",
    "steps": [ { "id": "probe", "run": "collect", "weight": 1, "collectors": ["dnslat"] },
               { "id": "verdicts", "run": "judge", "weight": 0, "subsystems": ["network"] } ] } ] }
JSON
"$FRIDAY" run -d 8 --playbook "$SCRATCH/pb.json" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/x.err" &
fr=$!
at_exit "kill $fr 2>/dev/null"
. tests/tuesday_lib.sh
wait_for_step "$SCRATCH/x.err" "probe:" 10
# The uprobes attach after the step starts (slowly on a loaded host): wait
# until the three uretprobes are linked, so no lookup falls before them.
uretprobes_linked() {
	ids=$(bpftool prog show name lookup_return 2>/dev/null | awk -F: '/^[0-9]+:/ { print $1 }')
	n=0
	for id in $ids; do
		n=$((n + $(bpftool link show 2>/dev/null | grep -c "prog $id\b")))
	done
	[ "$n" -ge 3 ]
}
i=0
until uretprobes_linked; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "dnslat's uretprobes were not linked within 10 s"
	sleep 0.1
done
ip netns exec "$ns" "$WORKLOADS/c_resolve" "$host" 3 > "$SCRATCH/client.out" ||
	fail "c_resolve failed: $(cat "$SCRATCH/client.out")"
wait $fr || fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
unpack "$SCRATCH/x.tar.gz"
[ -z "${KEEP_REPORT:-}" ] || cp "$REPORT_DIR/report.json" "$KEEP_REPORT"
[ "$(jqr .collectors.dnslat.status)" = ok ] || fail "dnslat: $(jqr -c .collectors.dnslat)"
grep -q "10.11.12.13" "$SCRATCH/client.out" || fail "the resolver's answer did not arrive"
echo "libc probed: $(jqr .measurements.dnslat.libc) ($(jqr -c .measurements.dnslat.probes))"

# friday's lookups of our host by c_resolve, in order: "FUNCTION MS".
jqr --arg h "$host" '.events[] | select(.kind == "slow_lookup" and .process == "c_resolve" and
	.detail.host == $h) | "\(.detail.function) \(.detail.latency_ms)"' > "$SCRATCH/friday.out"
echo "client's own timing | friday's:"
paste -d'|' "$SCRATCH/client.out" "$SCRATCH/friday.out"
[ "$(wc -l < "$SCRATCH/friday.out")" = 4 ] || fail "friday listed $(wc -l < "$SCRATCH/friday.out") slow lookups of $host, not 4"
paste -d' ' "$SCRATCH/client.out" "$SCRATCH/friday.out" | while read -r cf cms _ ff fms; do
	[ "$cf" = "$ff" ] || fail "function $ff, the client called $cf"
	awk -v f="$fms" -v d=$DELAY_MS 'BEGIN { exit !(f >= d) }' ||
		fail "$ff took $fms ms by friday, below the resolver's $DELAY_MS ms delay"
	awk -v f="$fms" -v c="$cms" 'BEGIN { d = f - c; if (d < 0) d = -d; exit !(d <= c * 0.1) }' ||
		fail "$ff: friday $fms ms vs the client's own $cms ms: more than 10% apart"
done
# The finding names the process and the host; the histogram holds them.
[ "$(finding_field network.slow_dns .evidence.slowest.host)" = "$host" ] ||
	fail "network.slow_dns: $(jqr -c '[.findings[] | select(.id == "network.slow_dns")]')"
[ "$(finding_field network.slow_dns .evidence.slowest.comm)" = c_resolve ] || fail "slowest not c_resolve"
n=$(jqr '.histograms[] | select(.name == "network.dns_latency") | .per_key.entries[] |
	select(.comm == "c_resolve") | .count')
[ "$n" = 4 ] || fail "network.dns_latency counts ${n:-no} lookups for c_resolve, not 4"
[ "$(jqr .measurements.dnslat.lost_events)" = 0 ] || fail "lost events"
echo "dnslat: $(jqr .measurements.dnslat.lookups) lookups, p99 $(jqr .measurements.dnslat.latency_ms.p99) ms;" \
	"finding: $(finding_field network.slow_dns .title)"
