# net_lib.sh: a lossy TCP link for the network tests, made of two network
# namespaces of this run (their names carry the test's pid) joined by a
# veth pair. This kernel has no netem qdisc, so the loss is an nftables
# rule in the server's namespace that drops a random share of the TCP
# packets arriving from the client (numgen random), before any socket sees
# them: to the client's TCP they are lost on the path, as on a bad link (a
# drop in the sender's own output chain would not do: TCP sees that error
# and sends again without counting a retransmit). Traffic never leaves the
# two namespaces. Source after tests/lib.sh; removed at exit.

# lossy_link LOSS_PCT: sets NS_C (client side), NS_S (server side, lossy),
# ADDR_C, ADDR_S. LOSS_PCT 0 makes a clean link.
lossy_link() {
	command -v nft > /dev/null || fail "nft (Debian nftables) is missing: make installs it"
	NS_C=fr-net-$$-c NS_S=fr-net-$$-s
	octet=$(($$ % 200 + 20))
	ADDR_C=10.251.$octet.1 ADDR_S=10.251.$octet.2
	ip netns add "$NS_C" || fail "ip netns add $NS_C"
	at_exit "ip netns del $NS_C 2>/dev/null"
	ip netns add "$NS_S" || fail "ip netns add $NS_S"
	at_exit "ip netns del $NS_S 2>/dev/null"
	ip -n "$NS_C" link add frc$$ type veth peer name frs$$ netns "$NS_S" || fail "veth pair"
	ip -n "$NS_C" addr add "$ADDR_C/30" dev frc$$
	ip -n "$NS_S" addr add "$ADDR_S/30" dev frs$$
	for ns in "$NS_C" "$NS_S"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_C" link set frc$$ up
	ip -n "$NS_S" link set frs$$ up
	[ "$1" -gt 0 ] || return 0
	ip netns exec "$NS_S" nft -f - <<NFT || fail "nft loss rule"
table inet friday_loss {
	chain in {
		type filter hook prerouting priority 0;
		ip saddr $ADDR_C meta l4proto tcp numgen random mod 100 < $1 counter drop
	}
}
NFT
}

# ns_tcp NS FIELD: a Tcp counter of /proc/net/snmp inside namespace NS.
ns_tcp() {
	ip netns exec "$1" cat /proc/net/snmp |
		awk -v f="$2" '$1 == "Tcp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == f) c = i; n = 1 }
			else { print $c; exit } }'
}
