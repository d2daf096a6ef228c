# c_network_loss.sh: the "lossy network" known workload. Two network
# namespaces of this run joined by a veth pair; the server's side drops 10%
# of the TCP packets that arrive from the client (tests/net_lib.sh: this
# kernel has no netem, so an nftables rule does it). build/workloads/c_tcp_transfer sends 256 KiB
# per connection, 20 ms apart, to a server in the other namespace, for the
# whole run (Monday, Tuesday, Thursday), and a second client keeps one
# connection open the whole run, sending 64 KiB every 20 ms to another
# port. The report must:
# - give network `suspect` or `implicated`, with a finding that names the
#   server's address and the client process (comm and pid);
# - give the long-lived connection, which never closes in the window, a
#   retransmit ratio over 1% (from its segments sent up to its last
#   retransmit) and a critical finding of its own that names the client,
#   although it connected before friday started (the socket's holder,
#   found through /proc/PID/fd);
# - implicate no other subsystem (tests/tuesday_lib.sh only_implicated);
# - run Thursday's network-drill-down (its condition holds) and keep its
#   histograms and outlier tables apart from Tuesday's (-2 names, with the
#   step that made them); the page shows the connections table.
. tests/lib.sh
. tests/tuesday_lib.sh
. tests/net_lib.sh
need_root

lossy_link 10
# Service ports below the ephemeral range, as services have them.
port=$((20000 + $$ % 10000))
ip netns exec "$NS_S" "$WORKLOADS/c_tcp_transfer" server $port 1000000 > /dev/null &
srv=$!
at_exit "kill $srv 2>/dev/null"
sleep 0.2
ip netns exec "$NS_C" "$WORKLOADS/c_tcp_transfer" client "$ADDR_S" $port 0 262144 20 \
	> /dev/null &
cl=$!
at_exit "kill $cl 2>/dev/null"
port2=$((port + 2))
ip netns exec "$NS_S" "$WORKLOADS/c_tcp_transfer" server $port2 1 > /dev/null &
srv2=$!
at_exit "kill $srv2 2>/dev/null"
sleep 0.2
ip netns exec "$NS_C" "$WORKLOADS/c_tcp_transfer" trickle "$ADDR_S" $port2 65536 20 \
	> /dev/null &
cl2=$!
at_exit "kill $cl2 2>/dev/null"
"$FRIDAY" run -d 30 --stages monday,tuesday,thursday -o "$SCRATCH/loss.tar.gz" \
	> "$SCRATCH/loss.out" 2> "$SCRATCH/loss.err" ||
	fail "friday run exited $?: $(tail -5 "$SCRATCH/loss.err")"
kill -0 $cl 2>/dev/null && kill -0 $cl2 2>/dev/null || fail "a client stopped before the run ended"
unpack "$SCRATCH/loss.tar.gz"
for c in runqlat proclife syscount futexwait nethealth; do
	[ "$(jqr ".collectors.$c.status")" = ok ] || fail "collector $c: $(jqr -c ".collectors.$c")"
done
v=$(verdict network)
echo "network: $v: $(jqr '[.health[] | select(.subsystem == "network") | .evidence[]] | join(" | ")')"
case "$v" in suspect | implicated) ;; *) fail "network is $v on a link losing 10% of packets" ;; esac
named=$(jqr --arg a "$ADDR_S:$port" --argjson pid $cl '[.findings[] |
	select(.id == "network.peer_retransmits" and .evidence.remote == $a and
	       .evidence.process.pid == $pid and .evidence.process.comm == "c_tcp_transfer")] | length')
[ "$named" -ge 1 ] || fail "no retransmit finding names $ADDR_S:$port and c_tcp_transfer (pid $cl):" \
	"$(jqr -c '[.findings[] | select(.subsystem == "network")]')"
echo "finding: $(jqr '[.findings[] | select(.id == "network.peer_retransmits")][0].detail')"
long=$(jqr --arg a "$ADDR_S:$port2" --argjson pid $cl2 '[.findings[] | select(.id ==
	"network.peer_retransmits" and .stage == "tuesday" and .evidence.remote == $a and
	.severity == "critical" and .evidence.process.pid == $pid)] | length')
[ "$long" -ge 1 ] || fail "no critical retransmit finding for the long-lived connection to" \
	"$ADDR_S:$port2 naming pid $cl2: $(jqr -c '[.findings[] | select(.id == "network.peer_retransmits")]')"
echo "long-lived: $(jqr --arg a "$ADDR_S:$port2" '[.findings[] | select(.evidence.remote == $a and
	.stage == "tuesday")][0].detail')"
only_implicated network "$cl $srv $cl2 $srv2" 4
step=$(jqr '.stages[] | select(.id == "thursday") | .steps[] | select(.id == "network-drill-down") | .status')
[ "$step" = ok ] || fail "network-drill-down: $step"
# Tuesday's tables keep their names; the drill-down's have their own.
[ "$(jqr '[.histograms[] | select(.name == "network.connect_latency") | .step] | join(",")')" = \
	health-probes ] || fail "Tuesday's network.connect_latency"
drill=$(jqr '[(.histograms + .outliers + .heatmaps)[] | select(.step == "network-drill-down") |
	.name] | join(" ")')
echo "drill-down tables: $drill"
[ -n "$drill" ] || fail "the drill-down made no histogram or outlier table"
for n in $drill; do
	case "$n" in network.*-2) ;; *) fail "drill-down table $n is not kept apart (NAME-2)" ;; esac
	[ -f "$REPORT_DIR/histograms/$n.json" ] || [ -f "$REPORT_DIR/outliers/$n.json" ] ||
		[ -f "$REPORT_DIR/heatmaps/$n.json" ] || fail "no file for $n"
done
grep -q "Longest-lived TCP connections" "$REPORT_DIR/report.html" ||
	fail "report.html lacks the connections table"
