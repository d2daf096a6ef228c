# c_nethealth_xcheck.sh: nethealth's counts agree with the kernel's and with
# a known workload. In two network namespaces of this run joined by a veth
# pair (tests/net_lib.sh), the server's side drops 10% of the TCP packets
# that arrive from the client; build/workloads/c_tcp_transfer opens 23 connections (a prime,
# as bcc's rules suggest) that each send 64 KiB, then connects once to a
# closed port. Checked:
# - retransmitted segments friday counted towards the server's address
#   equal the client namespace's Tcp RetransSegs delta (/proc/net/snmp,
#   read around the workload), within 5% or 2 segments, whichever is more
#   (both count tcp_skb_pcount() per retransmission; the slack covers a
#   retransmission racing the counter reads at the edges);
# - connects, accepts and closes: exactly 23 each, with the client named
#   (it connected) and the server named (it closed what it accepted);
# - bytes sent and acknowledged: 23 x 64 KiB, plus at most 2 per
#   connection (the FIN and SYN sequence numbers);
# - the connect to the closed port: a reset sent by the server's stack,
#   a reset received and a failed connect for the client;
# - the connect-latency heat map holds as many connects as the histogram.
. tests/lib.sh
. tests/tuesday_lib.sh
. tests/net_lib.sh
need_root

lossy_link 10
# Service ports below the ephemeral range, as services have them.
port=$((20000 + $$ % 10000)) closed=$((port + 1)) nconn=23 bytes=65536
ip netns exec "$NS_S" "$WORKLOADS/c_tcp_transfer" server $port $nconn > "$SCRATCH/srv.out" &
srv=$!
at_exit "kill $srv 2>/dev/null"
pb=$(xcheck_playbook nethealth)
"$FRIDAY" run -d 25 --playbook "$pb" -o "$SCRATCH/x.tar.gz" > /dev/null 2> "$SCRATCH/x.err" &
fr=$!
at_exit "kill $fr 2>/dev/null"
wait_for_step "$SCRATCH/x.err" "probe:" 10
sleep 1
before=$(ns_tcp "$NS_C" RetransSegs)
ip netns exec "$NS_C" "$WORKLOADS/c_tcp_transfer" client "$ADDR_S" $port $nconn $bytes \
	> "$SCRATCH/cl.out" &
cl=$!
at_exit "kill $cl 2>/dev/null"
wait $cl || fail "client failed"
ip netns exec "$NS_C" "$WORKLOADS/c_tcp_transfer" refused "$ADDR_S" $closed > /dev/null ||
	fail "the connect to the closed port $closed was not refused"
wait $srv || fail "server failed"
# Let the last FIN exchanges finish (a lost FIN waits for a retransmit).
sleep 3
after=$(ns_tcp "$NS_C" RetransSegs)
wait $fr || fail "friday run exited $?: $(tail -3 "$SCRATCH/x.err")"
unpack "$SCRATCH/x.tar.gz"
[ "$(jqr .collectors.nethealth.status)" = ok ] || fail "nethealth: $(jqr -c .collectors.nethealth)"
m=.measurements.nethealth
kernel=$((after - before))
sum() { jqr "[$m.peers[] | select($1) | .$2] | add // 0"; }
to_srv=".address == \"$ADDR_S\" and .port == $port and .direction == \"connect\""
probe=$(sum ".address == \"$ADDR_S\"" retrans_segs)
echo "client ns RetransSegs delta $kernel, nethealth $probe ($(jqr $m.attach));" \
	"$(cat "$SCRATCH/cl.out"); lost $(jqr $m.lost_events)"
[ "$kernel" -ge 5 ] || fail "only $kernel retransmits with 10% loss: the loss rule did not work"
slack=$((kernel * 5 / 100)); [ $slack -ge 2 ] || slack=2
d=$((probe - kernel)); [ $d -ge 0 ] || d=$((-d))
[ $d -le $slack ] || fail "nethealth $probe retransmits vs RetransSegs $kernel: more than $slack apart"
for f in connects closes; do
	[ "$(sum "$to_srv" $f)" = $nconn ] || fail "$f to $ADDR_S:$port: $(sum "$to_srv" $f), made $nconn"
done
[ "$(jqr "[$m.peers[] | select($to_srv)][0].pid")" = $cl ] || fail "the client (pid $cl) is not named"
[ "$(jqr "[$m.peers[] | select($to_srv)][0].comm")" = c_tcp_transfer ] || fail "client comm"
acc=".address == \"$ADDR_C\" and .port == $port and .direction == \"accept\""
[ "$(sum "$acc" accepts)" = $nconn ] || fail "accepts from $ADDR_C: $(sum "$acc" accepts), made $nconn"
[ "$(jqr "[$m.peers[] | select($acc)][0].pid")" = $srv ] ||
	fail "the server (pid $srv) is not named for the connections it accepted"
acked=$(sum "$to_srv" bytes_acked)
[ "$acked" -ge $((nconn * bytes)) ] && [ "$acked" -le $((nconn * (bytes + 2))) ] ||
	fail "bytes acknowledged $acked, sent $((nconn * bytes))"
ref=".address == \"$ADDR_S\" and .port == $closed and .direction == \"connect\""
[ "$(sum "$ref" resets_received)" -ge 1 ] || fail "no reset received from the closed port $closed"
[ "$(sum "$ref" connect_fails)" = 1 ] || fail "failed connects to $closed: $(sum "$ref" connect_fails)"
rst=".address == \"$ADDR_C\" and .port == $closed"
[ "$(sum "$rst" resets_sent)" -ge 1 ] || fail "no reset sent to $ADDR_C for port $closed"
[ "$(jqr "$m.connect_latency_us.count")" -ge $nconn ] || fail "connect latency histogram"
[ "$(jqr '[.histograms[] | select(.name == "network.connect_latency")] | length')" = 1 ] ||
	fail "no network.connect_latency histogram"
[ "$(jqr '[.outliers[] | select(.name == "network.connections") | .rows[]] | length')" -ge 1 ] ||
	fail "no network.connections outlier rows"
# The heat map is made from the ring buffer's connect records, the
# histogram in the kernel: with nothing lost, they hold the same connects.
heat=$(jqr '[.heatmaps[] | select(.name == "network.connect_latency") | .counts[][]] | add')
[ "$heat" = "$(jqr "$m.connect_latency_us.count")" ] ||
	fail "heat map holds $heat connects, the histogram $(jqr "$m.connect_latency_us.count")"
[ "$(jqr $m.lost_events)" = 0 ] || fail "lost events: $(jqr -c $m.lost)"
