/* rules_network.c: the network health rule. Reads nethealth's results
 * (report.measurements.nethealth) and says whether TCP is losing packets
 * on a path (retransmits, TH-05 and T60-14), whether a listener drops
 * connections (ListenOverflows, ST-NET-03), whether packets are dropped for
 * lack of room (USE-NIC-S), whether connects are slow (a SYN retransmitted)
 * and whether resets are frequent; each finding names the remote end and,
 * where the socket was opened in the window, the process. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/rules_probe.h"
#include "checks/tuesday.h"

enum {
	TH_RETRANS_PCT,
	TH_RETRANS_RATE,
	TH_RETRANS_MIN,
	TH_MIN_SEGS,
	TH_LISTEN,
	TH_SLOW_CONNECT,
	TH_RESET_RATE,
	TH_RESET_MIN,
	TH_DROPS,
};

static const struct threshold net_thresholds[] = {
	[TH_RETRANS_PCT] = { "retrans_pct_crit", 1.0,
			     "T60-14 [S5; heur]: RetransSegs/OutSegs > 1% is critical" },
	[TH_RETRANS_RATE] = { "retrans_per_s_warn", 1.0,
			      "T60-14 [S5]: retransmits per second > 0, sustained, is a warning; "
			      "[heur] sustained read as at least 1 per second over the window" },
	[TH_RETRANS_MIN] = { "retrans_min_segs", 10,
			     "[heur] fewer retransmitted segments than this in a window are not a "
			     "pattern (one lost packet on a quiet host)" },
	[TH_MIN_SEGS] = { "ratio_min_segs_out", 100,
			  "[heur] a retransmit ratio over fewer segments sent than this is too noisy" },
	[TH_LISTEN] = { "listen_overflows_crit", 1,
			"ST-NET-03 [S15 snmp_counter.rst]: ListenOverflows increasing is critical" },
	[TH_SLOW_CONNECT] = { "slow_connect_ms", 1000,
			      "ST-NET-03 [heur]: a dropped SYN costs the client 1 s or more (the "
			      "initial retransmission timeout)" },
	[TH_RESET_RATE] = { "resets_per_s_warn", 1.0,
			    "[heur] resets at 1 per second or more, to or from one remote end" },
	[TH_RESET_MIN] = { "resets_min", 10, "[heur] at least 10 resets in the window" },
	[TH_DROPS] = { "saturation_drops_warn", 1,
		       "USE-NIC-S [S6 fn 7, S7 fn 6]: drops are saturation and errors; any "
		       "increase is a warning" },
};

const struct finding_def network_rule_findings[] = {
	{ "network.peer_retransmits", "network", "TCP retransmits segments to a remote end",
	  "T60-14 [S5], TH-05 [S5, S15]",
	  "Thursday: network-drill-down; test the path to the peer (mtr); check the peer's load" },
	{ "network.accept_queue_overflow", "network", "A listener's accept queue overflowed: SYNs dropped",
	  "ST-NET-03 [S15 snmp_counter.rst, ip-sysctl.rst]; RC-05",
	  "Raise the backlog (listen() argument and net.core.somaxconn); speed up accept()" },
	{ "network.packet_drops", "network", "Packets dropped for lack of room (queues, buffers)",
	  "USE-NIC-S [S6, S7]; ST-NET-10",
	  "See the drop reasons; raise the buffer or queue named, or cut the load" },
	{ "network.policy_drops", "network", "Packets dropped by a firewall, tc or BPF rule",
	  "USE-NIC-E [S6, S7] (kfree_skb drop reasons)",
	  "Check the rule named by the reason (nft list ruleset, tc filter show)" },
	{ "network.slow_connect", "network", "TCP connects took a second or more (SYN retransmitted)",
	  "ST-NET-03, TH-05 [S15; heur 1 s]",
	  "Thursday: network-drill-down (slowest connects); check the peer's listen backlog" },
	{ "network.tcp_resets", "network", "Frequent TCP resets to or from a remote end",
	  "TH-05 [S5] ([heur] 1 per second)",
	  "Find why the peer refuses or aborts: closed port, crashed or overloaded service" },
	{ NULL },
};

/* Drop reasons that mean a queue, buffer or memory ran out (USE-NIC-S),
 * and those that mean a rule chose to drop; the rest (no socket, not for
 * this host, a socket closing...) are the normal life of a network stack. */
static const char *const saturation_reasons[] = {
	"SOCKET_RCVBUFF", "SOCKET_BACKLOG", "PROTO_MEM", "TCP_LISTEN_OVERFLOW", "QDISC_DROP",
	"QDISC_OVERLIMIT", "QDISC_CONGESTED", "CPU_BACKLOG", "FULL_RING", "NOMEM",
	"NEIGH_QUEUEFULL", "TCP_OFO_QUEUE_PRUNE", "FQ_BAND_LIMIT", "FQ_FLOW_LIMIT",
	"FQ_HORIZON_LIMIT", "CAKE_FLOOD", "PFMEMALLOC", NULL,
};
static const char *const policy_reasons[] = {
	"NETFILTER_DROP", "TC_EGRESS", "TC_INGRESS", "BPF_CGROUP_EGRESS", "XFRM_POLICY",
	"SECURITY_HOOK", "IP_RPFILTER", "XDP", NULL,
};

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (!strcmp(*list, name))
			return true;
	return false;
}

struct net_judgement {
	json_t *m;
	double window_s;
	bool implicated, suspect;
};

/* "c_tcp_transfer (pid 42)", or, for a socket friday did not see a
 * process open: its local port (an accepted connection, or a reset for a
 * closed port), or that it predates the window. */
static void who(json_t *peer, char *out, size_t len)
{
	const char *dir = jpath_str(peer, "direction") ? jpath_str(peer, "direction") : "";

	if (jpath_num(peer, "pid") > 0)
		snprintf(out, len, "%s (pid %.0f)", jpath_str(peer, "comm"), jpath_num(peer, "pid"));
	else if (!strcmp(dir, "accept"))
		snprintf(out, len, "local port %.0f (accepted there, or refused: no process "
			 "known)", jpath_num(peer, "port"));
	else
		snprintf(out, len, "a process that opened it before the window");
}

static json_t *peer_evidence(const struct threshold *th, double figure, const char *unit,
			     json_t *peer)
{
	json_t *ev = rule_evidence(th, figure, unit, "nethealth");

	json_object_set_new(ev, "remote", json_string(jpath_str(peer, "remote") ?: ""));
	json_object_set_new(ev, "direction", json_string(jpath_str(peer, "direction") ?: ""));
	json_object_set_new(ev, "process", json_pack("{s:s, s:i}", "comm",
				jpath_str(peer, "comm") ?: "", "pid", (int)jpath_num(peer, "pid")));
	json_object_set_new(ev, "source", json_string("tcp:tcp_retransmit_skb, tcp:tcp_send_reset, "
				"tcp:tcp_receive_reset, sock:inet_sock_set_state"));
	return ev;
}

/* Retransmits per remote end: the ratio over segments sent (closed
 * connections, and open ones up to their last retransmit) implicates, a
 * sustained rate makes suspect. */
static void judge_retransmits(struct report *r, struct net_judgement *j, json_t *health)
{
	json_t *peer;
	size_t i;

	json_array_foreach(json_object_get(j->m, "peers"), i, peer) {
		double segs = jpath_num(peer, "retrans_segs"), rate = jpath_num(peer, "retrans_per_s");
		double out = jpath_num(peer, "ratio_segs_out"), pct = jpath_num(peer, "retrans_pct");
		bool ratio = out >= net_thresholds[TH_MIN_SEGS].value &&
			     pct > net_thresholds[TH_RETRANS_PCT].value;
		char name[96];
		json_t *ev, *f;

		if (segs < net_thresholds[TH_RETRANS_MIN].value ||
		    (rate < net_thresholds[TH_RETRANS_RATE].value && !ratio))
			continue;
		who(peer, name, sizeof(name));
		ev = peer_evidence(&net_thresholds[ratio ? TH_RETRANS_PCT : TH_RETRANS_RATE],
				   ratio ? pct : rate, ratio ? "% of segments sent" : "segments/s", peer);
		json_object_set_new(ev, "retrans_segs", json_real(segs));
		json_object_set_new(ev, "retrans_per_s", json_real(rate));
		json_object_set_new(ev, "segs_out", json_real(out));
		json_object_set_new(ev, "syn_retrans", json_real(jpath_num(peer, "syn_retrans")));
		f = report_add_finding(r, "network.peer_retransmits", ratio ? SEV_CRITICAL : SEV_WARNING,
				       ev, "%.0f segments retransmitted to %s (%s, %.1f/s)%s%.1f%% of "
				       "the %.0f segments its connections sent; by %s.", segs,
				       jpath_str(peer, "remote"), jpath_str(peer, "direction"), rate,
				       out > 0 ? ": " : "", out > 0 ? pct : 0.0, out, name);
		report_finding_add_artifact(f, "report.json#measurements/nethealth/peers");
		report_set_health(r, "network", ratio ? VERDICT_IMPLICATED : VERDICT_SUSPECT,
				  "%s: %.0f segments retransmitted (%.1f/s), %.1f%% of %.0f sent; by %s "
				  "(critical above %.0f%%, T60-14)",
				  jpath_str(peer, "remote"), segs, rate, pct, out, name,
				  net_thresholds[TH_RETRANS_PCT].value);
		j->implicated |= ratio;
		j->suspect = true;
	}
	if (j->suspect) {
		char step[160];

		peer = json_array_get(json_object_get(j->m, "peers"), 0);
		snprintf(step, sizeof(step), "Test the path to %s (mtr, ip -s link on each hop); "
			 "check that peer's load (TH-05)", jpath_str(peer, "address"));
		report_health_add_next_step(health, step);
	}
}

static void judge_listen(struct report *r, struct net_judgement *j, json_t *health)
{
	json_t *ns = json_object_get(j->m, "netstat"), *ev, *reason;
	json_t *reasons = json_object_get(json_object_get(j->m, "drops"), "reasons");
	double overflows = jpath_num(ns, "listen_overflows"), bpf_drops = 0;
	size_t i;

	json_array_foreach(reasons, i, reason)
		if (!strcmp(jpath_str(reason, "name") ?: "", "TCP_LISTEN_OVERFLOW"))
			bpf_drops = jpath_num(reason, "count");
	if (overflows < net_thresholds[TH_LISTEN].value && bpf_drops < net_thresholds[TH_LISTEN].value)
		return;
	ev = rule_evidence(&net_thresholds[TH_LISTEN], overflows > bpf_drops ? overflows : bpf_drops,
			   "overflows", "nethealth");
	json_object_set_new(ev, "listen_overflows", json_real(overflows));
	json_object_set_new(ev, "listen_drops", json_real(jpath_num(ns, "listen_drops")));
	json_object_set_new(ev, "drops_listen_overflow", json_real(bpf_drops));
	json_object_set_new(ev, "source", json_string("/proc/net/netstat TcpExt ListenOverflows, "
				"ListenDrops; skb:kfree_skb TCP_LISTEN_OVERFLOW"));
	report_add_finding(r, "network.accept_queue_overflow", SEV_CRITICAL, ev, "A listen queue "
			   "overflowed %.0f times in friday's namespace (ListenOverflows), %.0f SYNs "
			   "dropped for it host-wide (kfree_skb TCP_LISTEN_OVERFLOW); ListenDrops %.0f.",
			   overflows, bpf_drops, jpath_num(ns, "listen_drops"));
	report_set_health(r, "network", VERDICT_IMPLICATED, "listen queue overflows: %.0f "
			  "(ListenOverflows), %.0f dropped SYNs (critical from 1, ST-NET-03)", overflows,
			  bpf_drops);
	report_health_add_next_step(health, "ss -ltn: compare each listener's Recv-Q with its "
				    "backlog (Send-Q); raise it or accept faster (ST-NET-03)");
	j->implicated = true;
}

/* Drops by reason: saturation reasons make suspect, rule drops are said. */
static void judge_drops(struct report *r, struct net_judgement *j, json_t *health)
{
	json_t *reason, *sat = json_array(), *pol = json_array();
	double nr_sat = 0, nr_pol = 0;
	char sat_text[256] = "", pol_text[256] = "";
	size_t i, off_s = 0, off_p = 0;

	json_array_foreach(json_object_get(json_object_get(j->m, "drops"), "reasons"), i, reason) {
		const char *name = jpath_str(reason, "name") ?: "";
		double n = jpath_num(reason, "count");
		bool s = in_list(saturation_reasons, name) && strcmp(name, "TCP_LISTEN_OVERFLOW");

		if (!s && !in_list(policy_reasons, name))
			continue;
		json_array_append(s ? sat : pol, reason);
		*(s ? &nr_sat : &nr_pol) += n;
		if (s && off_s < sizeof(sat_text))
			off_s += snprintf(sat_text + off_s, sizeof(sat_text) - off_s, "%s%s %.0f (at %s)",
					  off_s ? ", " : "", name, n, jpath_str(reason, "last_location"));
		else if (!s && off_p < sizeof(pol_text))
			off_p += snprintf(pol_text + off_p, sizeof(pol_text) - off_p, "%s%s %.0f",
					  off_p ? ", " : "", name, n);
	}
	if (nr_sat >= net_thresholds[TH_DROPS].value) {
		json_t *ev = rule_evidence(&net_thresholds[TH_DROPS], nr_sat, "packets", "nethealth");

		json_object_set_new(ev, "reasons", json_incref(sat));
		json_object_set_new(ev, "source", json_string("skb:kfree_skb drop reasons"));
		report_add_finding(r, "network.packet_drops", SEV_WARNING, ev, "%.0f packets dropped "
				   "for lack of room: %s.", nr_sat, sat_text);
		report_set_health(r, "network", VERDICT_SUSPECT, "drops for lack of room: %s "
				  "(any is a warning, USE-NIC-S)", sat_text);
		report_health_add_next_step(health, "Raise the queue or buffer the drop reason names "
					    "(netdev_max_backlog, socket buffers, qdisc limits)");
		j->suspect = true;
	}
	if (nr_pol > 0) {
		json_t *ev = json_pack("{s:f, s:O, s:s}", "figure", nr_pol, "reasons", pol,
				       "source", "skb:kfree_skb drop reasons");

		report_add_finding(r, "network.policy_drops", SEV_INFO, ev, "%.0f packets dropped by "
				   "rules: %s.", nr_pol, pol_text);
		report_set_health(r, "network", VERDICT_EXONERATED, "dropped by firewall, tc or BPF "
				  "rules: %s (deliberate, not saturation: USE-NIC-E)", pol_text);
	}
	json_decref(sat);
	json_decref(pol);
}

/* Connects of a second or more: the SYN (or its answer) was lost. */
static void judge_connects(struct report *r, struct net_judgement *j, json_t *health)
{
	json_t *peer;
	size_t i;

	json_array_foreach(json_object_get(j->m, "peers"), i, peer) {
		double max_ms = jpath_num(peer, "connect_ms_max");
		char name[96];
		json_t *ev;

		if (max_ms < net_thresholds[TH_SLOW_CONNECT].value)
			continue;
		who(peer, name, sizeof(name));
		ev = peer_evidence(&net_thresholds[TH_SLOW_CONNECT], max_ms, "ms", peer);
		json_object_set_new(ev, "connect_ms_avg", json_real(jpath_num(peer, "connect_ms_avg")));
		json_object_set_new(ev, "connects", json_real(jpath_num(peer, "connects")));
		report_add_finding(r, "network.slow_connect", SEV_WARNING, ev, "Connects to %s took up "
				   "to %.0f ms (average %.1f ms over %.0f), by %s.", jpath_str(peer, "remote"),
				   max_ms, jpath_num(peer, "connect_ms_avg"), jpath_num(peer, "connects"),
				   name);
		report_set_health(r, "network", VERDICT_SUSPECT, "connects to %s up to %.0f ms by %s "
				  "(warning from 1 s, ST-NET-03)", jpath_str(peer, "remote"), max_ms, name);
		j->suspect = true;
	}
	(void)health;
}

static void judge_resets(struct report *r, struct net_judgement *j)
{
	json_t *peer;
	size_t i;

	json_array_foreach(json_object_get(j->m, "peers"), i, peer) {
		double n = jpath_num(peer, "resets_sent") + jpath_num(peer, "resets_received");
		double rate = jpath_num(peer, "resets_per_s");
		char name[96];
		json_t *ev;

		if (n < net_thresholds[TH_RESET_MIN].value || rate < net_thresholds[TH_RESET_RATE].value)
			continue;
		who(peer, name, sizeof(name));
		ev = peer_evidence(&net_thresholds[TH_RESET_RATE], rate, "resets/s", peer);
		json_object_set_new(ev, "resets_sent", json_real(jpath_num(peer, "resets_sent")));
		json_object_set_new(ev, "resets_received", json_real(jpath_num(peer, "resets_received")));
		json_object_set_new(ev, "connect_fails", json_real(jpath_num(peer, "connect_fails")));
		report_add_finding(r, "network.tcp_resets", SEV_WARNING, ev, "%.0f resets with %s "
				   "(%.1f/s: %.0f sent, %.0f received; %.0f connects failed), by %s.", n,
				   jpath_str(peer, "remote"), rate, jpath_num(peer, "resets_sent"),
				   jpath_num(peer, "resets_received"), jpath_num(peer, "connect_fails"), name);
		report_set_health(r, "network", VERDICT_SUSPECT, "%s: %.0f resets (%.1f/s) (warning "
				  "from %.0f/s [heur])", jpath_str(peer, "remote"), n, rate,
				  net_thresholds[TH_RESET_RATE].value);
		j->suspect = true;
	}
}

/* Monday's load snapshot (/proc counters of friday's network namespace:
 * retransmits, interface and backlog drops, listen drops) sees what the
 * probes may miss, such as traffic that opens no connection in the
 * window: its findings of warning or worse are cited and make network
 * suspect, as the cpu rule cites CFS throttling. */
static void cite_monday(struct report *r, struct net_judgement *j)
{
	json_t *f;
	size_t i;

	json_array_foreach(report_get(r, "findings"), i, f) {
		const char *id = jpath_str(f, "id") ?: "", *step = jpath_str(f, "step") ?: "";
		int sev = severity_from_name(jpath_str(f, "severity") ?: "");

		if (strncmp(id, "network.", 8) || strcmp(step, "load-snapshot") || sev < SEV_WARNING)
			continue;
		report_set_health(r, "network", VERDICT_SUSPECT, "%s (%s, Monday's load snapshot): %s",
				  id, jpath_str(f, "severity"), jpath_str(f, "detail"));
		j->suspect = true;
	}
}

/* The figures every verdict carries, healthy or not. */
static json_t *summary(struct report *r, json_t *m)
{
	return report_set_health(r, "network", VERDICT_EXONERATED,
		"TCP over %.1f s (nethealth, %s): %.0f segments retransmitted (%.1f/s; warning "
		"from %.0f/s, critical above %.0f%% of segments sent, T60-14), %.0f resets, %.0f "
		"connects (p99 %.0f us), %.0f accepts, %.0f closes; %.0f packet drops; listen "
		"overflows %.0f (ST-NET-03)", jpath_num(m, "window_s"), jpath_str(m, "attach"),
		jpath_num(m, "tcp.retrans_segs"), jpath_num(m, "tcp.retrans_per_s"),
		net_thresholds[TH_RETRANS_RATE].value, net_thresholds[TH_RETRANS_PCT].value,
		jpath_num(m, "tcp.resets_sent") + jpath_num(m, "tcp.resets_received"),
		jpath_num(m, "tcp.connects"), jpath_num(m, "connect_latency_us.p99"),
		jpath_num(m, "tcp.accepts"), jpath_num(m, "tcp.closes"), jpath_num(m, "drops.total"),
		jpath_num(m, "netstat.listen_overflows"));
}

void judge_network(struct report *r)
{
	json_t *m = rule_measurement(r, "nethealth", "network"), *health;
	struct net_judgement j = { 0 };

	if (!m)
		return;
	j.m = m;
	j.window_s = jpath_num(m, "window_s");
	health = summary(r, m);
	judge_retransmits(r, &j, health);
	judge_listen(r, &j, health);
	judge_drops(r, &j, health);
	judge_connects(r, &j, health);
	judge_resets(r, &j);
	cite_monday(r, &j);
	if (j.implicated || j.suspect)
		report_health_add_next_step(health, "Thursday: network-drill-down: connect latency "
					    "per process, connection lifetimes and bytes, retransmits "
					    "per remote end (TH-05)");
}
