/* static_net.c: Monday's static checks of the network (ST-NET-01..10):
 * link speed and duplex, fragmentation, listen backlog, congestion control,
 * socket buffers, slow start after idle, ephemeral ports, IP forwarding,
 * conntrack and softnet drops. Counters are since boot (a static check sees
 * one snapshot); Tuesday's probes measure their rates. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/static_impl.h"
#include "lib/procfs.h"
#include "lib/util.h"

static const char *root_of(const struct check_ctx *ctx)
{
	return ctx->root ? ctx->root : "";
}

CHECK_FN(check_link_speed)
{
	char names[256][CK_NAME_LEN], path[160], oper[32], duplex[32];
	int nr = ck_dir_names(ctx, "/sys/class/net", "", false, names, 256), nr_phys = 0;
	json_t *slow = json_array();
	int64_t speed;

	if (nr <= 0) {
		json_decref(slow);
		snprintf(reason, len, "no /sys/class/net");
		return CHECK_NOT_APPLICABLE;
	}
	for (int i = 0; i < nr; i++) {
		char dev[PATH_MAX];

		/* Only physical NICs (with a device link) negotiate a speed. */
		snprintf(path, sizeof(path), "/sys/class/net/%.64s/device", names[i]);
		if (!path_exists(check_path(ctx, path, dev, sizeof(dev))))
			continue;
		nr_phys++;
		snprintf(path, sizeof(path), "/sys/class/net/%.64s/operstate", names[i]);
		if (ck_line(ctx, path, oper, sizeof(oper)) || strcmp(oper, "up"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%.64s/speed", names[i]);
		if (ck_s64(ctx, path, &speed) || speed <= 0)
			continue;  /* virtio and many VFs report -1 (unknown) */
		snprintf(path, sizeof(path), "/sys/class/net/%.64s/duplex", names[i]);
		if (ck_line(ctx, path, duplex, sizeof(duplex)))
			duplex[0] = '\0';
		if (speed < 1000 || !strcmp(duplex, "half"))
			json_array_append_new(slow, json_pack("{s:s, s:I, s:s}", "interface", names[i],
							      "speed_mbps", (json_int_t)speed, "duplex", duplex));
	}
	if (!nr_phys) {
		json_decref(slow);
		snprintf(reason, len, "no physical network interfaces");
		return CHECK_NOT_APPLICABLE;
	}
	if (json_array_size(slow)) {
		json_t *first = json_array_get(slow, 0);

		report_add_finding(ctx->report, "network.link_negotiation", SEV_WARNING,
			json_pack("{s:o, s:i}", "interfaces", slow, "threshold_mbps", 1000),
			"%s negotiated %lld Mb/s, %s duplex: check the cable, the switch port and "
			"ethtool's advertised modes.",
			json_string_value(json_object_get(first, "interface")),
			(long long)json_integer_value(json_object_get(first, "speed_mbps")),
			json_string_value(json_object_get(first, "duplex")));
	} else {
		json_decref(slow);
	}
	return CHECK_RAN;
}

/* Reads ROOT/proc/net/NAME; NULL with a reason. */
static char *net_text(struct check_ctx *ctx, const char *name, char *reason, size_t len)
{
	char rel[64];
	char *text;

	snprintf(rel, sizeof(rel), "net/%s", name);
	text = procfs_read_alloc(root_of(ctx), rel);
	if (!text)
		snprintf(reason, len, "cannot read /proc/net/%s: %s", name, strerror(errno));
	return text;
}

CHECK_FN(check_fragmentation)
{
	char *snmp = net_text(ctx, "snmp", reason, len);
	int64_t frag_fails, reasm_fails;

	if (!snmp)
		return CHECK_NOT_APPLICABLE;
	if (procfs_snmp_get(snmp, "Ip", "FragFails", &frag_fails) ||
	    procfs_snmp_get(snmp, "Ip", "ReasmFails", &reasm_fails)) {
		free(snmp);
		snprintf(reason, len, "/proc/net/snmp has no Ip FragFails/ReasmFails");
		return CHECK_NOT_APPLICABLE;
	}
	free(snmp);
	if (frag_fails > 0 || reasm_fails > 0)
		report_add_finding(ctx->report, "network.fragmentation_failures", SEV_WARNING,
			json_pack("{s:I, s:I}", "FragFails", (json_int_t)frag_fails,
				  "ReasmFails", (json_int_t)reasm_fails),
			"IP fragmentation failed %lld time(s) and reassembly %lld time(s) since boot: "
			"an MTU mismatch on the path drops packets.",
			(long long)frag_fails, (long long)reasm_fails);
	return CHECK_RAN;
}

CHECK_FN(check_listen_backlog)
{
	int64_t somaxconn, syn_backlog = -1, overflows = 0, drops = 0;
	char *netstat;

	if (ck_need_s64(ctx, "/proc/sys/net/core/somaxconn", &somaxconn, reason, len))
		return CHECK_NOT_APPLICABLE;
	ck_s64(ctx, "/proc/sys/net/ipv4/tcp_max_syn_backlog", &syn_backlog);
	netstat = procfs_read_alloc(root_of(ctx), "net/netstat");
	if (netstat) {
		procfs_snmp_get(netstat, "TcpExt", "ListenOverflows", &overflows);
		procfs_snmp_get(netstat, "TcpExt", "ListenDrops", &drops);
		free(netstat);
	}
	if (overflows > 0 || drops > 0)
		report_add_finding(ctx->report, "network.listen_overflows", SEV_WARNING,
			json_pack("{s:I, s:I, s:I, s:I}", "ListenOverflows", (json_int_t)overflows,
				  "ListenDrops", (json_int_t)drops, "somaxconn", (json_int_t)somaxconn,
				  "tcp_max_syn_backlog", (json_int_t)syn_backlog),
			"Listen queues overflowed %lld time(s) since boot (ListenDrops %lld): the "
			"kernel dropped SYNs, and clients retried after a second or more.",
			(long long)overflows, (long long)drops);
	if (somaxconn < 1024)
		report_add_finding(ctx->report, "network.somaxconn_low", SEV_INFO,
			json_pack("{s:I, s:s}", "somaxconn", (json_int_t)somaxconn,
				  "reference", "4096 default since 5.4, 1000 Netflix"),
			"net.core.somaxconn is %lld: listen() backlogs are capped there, too small "
			"for bursts of connections.", (long long)somaxconn);
	return CHECK_RAN;
}

CHECK_FN(check_congestion_control)
{
	char cc[64], qdisc[64] = "";

	if (ck_line(ctx, "/proc/sys/net/ipv4/tcp_congestion_control", cc, sizeof(cc))) {
		snprintf(reason, len, "no readable net.ipv4.tcp_congestion_control");
		return CHECK_NOT_APPLICABLE;
	}
	ck_line(ctx, "/proc/sys/net/core/default_qdisc", qdisc, sizeof(qdisc));
	if (!strcmp(cc, "reno"))
		report_add_finding(ctx->report, "network.congestion_reno", SEV_INFO,
			json_pack("{s:s, s:s}", "tcp_congestion_control", cc, "default_qdisc", qdisc),
			"TCP congestion control is reno: slow to grow the window again after loss "
			"on long or lossy paths (cubic is the usual default, bbr an option).");
	return CHECK_RAN;
}

/* The last number of a "min default max" sysctl such as tcp_rmem. */
static int64_t triple_max(struct check_ctx *ctx, const char *path, int64_t v[3])
{
	char text[128];
	long long a, b, c;

	if (ck_line(ctx, path, text, sizeof(text)) || sscanf(text, "%lld %lld %lld", &a, &b, &c) != 3)
		return -1;
	v[0] = a, v[1] = b, v[2] = c;
	return c;
}

CHECK_FN(check_socket_buffers)
{
	const int64_t ref = 16 << 20;
	int64_t rmem[3], wmem[3], mem[3], rmax = triple_max(ctx, "/proc/sys/net/ipv4/tcp_rmem", rmem);
	int64_t wmax = triple_max(ctx, "/proc/sys/net/ipv4/tcp_wmem", wmem), core_rmax = -1;
	char *sockstat = procfs_read_alloc(root_of(ctx), "net/sockstat"), *tcp;
	long long pages = -1;

	if (rmax < 0 || wmax < 0) {
		free(sockstat);
		snprintf(reason, len, "no readable net.ipv4.tcp_rmem/tcp_wmem");
		return CHECK_NOT_APPLICABLE;
	}
	ck_s64(ctx, "/proc/sys/net/core/rmem_max", &core_rmax);
	tcp = sockstat ? strstr(sockstat, "TCP: ") : NULL;
	if (tcp && strstr(tcp, " mem "))
		sscanf(strstr(tcp, " mem ") + 5, "%lld", &pages);
	free(sockstat);
	if (pages >= 0 && triple_max(ctx, "/proc/sys/net/ipv4/tcp_mem", mem) > 0 && pages >= mem[1])
		report_add_finding(ctx->report, "network.tcp_memory_pressure", SEV_WARNING,
			json_pack("{s:I, s:[I,I,I]}", "tcp_pages", (json_int_t)pages, "tcp_mem",
				  (json_int_t)mem[0], (json_int_t)mem[1], (json_int_t)mem[2]),
			"TCP sockets hold %lld pages, at or over tcp_mem's pressure threshold %lld: "
			"the kernel shrinks socket buffers and may drop.", pages, (long long)mem[1]);
	if (rmax < ref || wmax < ref)
		report_add_finding(ctx->report, "network.tcp_buffers_small", SEV_INFO,
			json_pack("{s:I, s:I, s:I, s:I}", "tcp_rmem_max", (json_int_t)rmax,
				  "tcp_wmem_max", (json_int_t)wmax, "rmem_max", (json_int_t)core_rmax,
				  "reference", (json_int_t)ref),
			"TCP buffers autotune up to %lld KiB (receive) and %lld KiB (send): one flow "
			"moves at most that much per round trip, %lld Mb/s at 100 ms RTT "
			"(Netflix uses 16 MiB).", (long long)rmax / 1024, (long long)wmax / 1024,
			(long long)(rmax < wmax ? rmax : wmax) * 8 * 10 / 1000000);
	return CHECK_RAN;
}

CHECK_FN(check_slow_start_idle)
{
	int64_t v;

	if (ck_need_s64(ctx, "/proc/sys/net/ipv4/tcp_slow_start_after_idle", &v, reason, len))
		return CHECK_NOT_APPLICABLE;
	if (v == 1)
		report_add_finding(ctx->report, "network.slow_start_after_idle", SEV_INFO,
			json_pack("{s:i, s:i}", "tcp_slow_start_after_idle", 1, "reference", 0),
			"net.ipv4.tcp_slow_start_after_idle is 1: a connection idle for one "
			"retransmit timeout restarts from a small window, so bursty long-lived "
			"connections pay slow start again (Netflix sets 0).");
	return CHECK_RAN;
}

CHECK_FN(check_ephemeral_ports)
{
	char text[64], *sockstat, *tcp;
	long long lo, hi, tw = -1;
	int64_t range;

	if (ck_line(ctx, "/proc/sys/net/ipv4/ip_local_port_range", text, sizeof(text)) ||
	    sscanf(text, "%lld %lld", &lo, &hi) != 2 || hi < lo) {
		snprintf(reason, len, "no readable net.ipv4.ip_local_port_range");
		return CHECK_NOT_APPLICABLE;
	}
	range = hi - lo + 1;
	sockstat = procfs_read_alloc(root_of(ctx), "net/sockstat");
	tcp = sockstat ? strstr(sockstat, "TCP: ") : NULL;
	if (tcp && strstr(tcp, " tw "))
		sscanf(strstr(tcp, " tw ") + 4, "%lld", &tw);
	free(sockstat);
	if (tw < 0) {
		snprintf(reason, len, "no TCP tw count in /proc/net/sockstat");
		return CHECK_NOT_APPLICABLE;
	}
	if (tw * 2 > range)
		report_add_finding(ctx->report, "network.ephemeral_ports", SEV_WARNING,
			json_pack("{s:I, s:I, s:I, s:I}", "time_wait", (json_int_t)tw, "port_low", (json_int_t)lo,
				  "port_high", (json_int_t)hi, "range", (json_int_t)range),
			"%lld sockets are in TIME_WAIT, over half the %lld ephemeral ports: new "
			"connections to a busy peer may fail to find a port.", tw, (long long)range);
	return CHECK_RAN;
}

CHECK_FN(check_ip_forward)
{
	int64_t v;

	if (ck_need_s64(ctx, "/proc/sys/net/ipv4/ip_forward", &v, reason, len))
		return CHECK_NOT_APPLICABLE;
	if (v == 1)
		report_add_finding(ctx->report, "network.ip_forwarding", SEV_INFO,
				   json_pack("{s:i}", "ip_forward", 1),
				   "IP forwarding is on: this host routes packets. That is right for "
				   "a router or a container host, and a mistake on a plain server.");
	return CHECK_RAN;
}

CHECK_FN(check_conntrack)
{
	int64_t count, max;

	if (ck_s64(ctx, "/proc/sys/net/netfilter/nf_conntrack_count", &count) ||
	    ck_s64(ctx, "/proc/sys/net/netfilter/nf_conntrack_max", &max) || max <= 0) {
		snprintf(reason, len, "no connection tracking (nf_conntrack not loaded)");
		return CHECK_NOT_APPLICABLE;
	}
	if (count * 10 > max * 8)
		report_add_finding(ctx->report, "network.conntrack_near_full", SEV_WARNING,
			json_pack("{s:I, s:I, s:i}", "nf_conntrack_count", (json_int_t)count,
				  "nf_conntrack_max", (json_int_t)max, "threshold_pct", 80),
			"The connection tracking table holds %lld of %lld entries (%lld%%): when "
			"full, new flows are dropped and look like network loss.",
			(long long)count, (long long)max, (long long)(count * 100 / max));
	return CHECK_RAN;
}

CHECK_FN(check_softnet)
{
	struct softnet_cpu *cpus = NULL;
	size_t nr = 0;
	uint64_t dropped = 0, squeezed = 0;
	int64_t backlog = -1, budget = -1;
	int err = procfs_read_softnet(root_of(ctx), &cpus, &nr);

	if (err) {
		snprintf(reason, len, "cannot read /proc/net/softnet_stat: %s", strerror(-err));
		return CHECK_NOT_APPLICABLE;
	}
	for (size_t i = 0; i < nr; i++) {
		dropped += cpus[i].dropped;
		squeezed += cpus[i].time_squeeze;
	}
	free(cpus);
	ck_s64(ctx, "/proc/sys/net/core/netdev_max_backlog", &backlog);
	ck_s64(ctx, "/proc/sys/net/core/netdev_budget", &budget);
	if (dropped > 0)
		report_add_finding(ctx->report, "network.softnet_drops", SEV_WARNING,
			json_pack("{s:I, s:I, s:I, s:i}", "dropped", (json_int_t)dropped,
				  "netdev_max_backlog", (json_int_t)backlog, "cpus", (json_int_t)nr,
				  "reference_backlog", 5000),
			"%llu packets were dropped since boot because a CPU's input backlog "
			"(netdev_max_backlog %lld) was full, before any socket saw them.",
			(unsigned long long)dropped, (long long)backlog);
	if (squeezed > 0)
		report_add_finding(ctx->report, "network.softnet_squeeze", SEV_INFO,
			json_pack("{s:I, s:I}", "time_squeeze", (json_int_t)squeezed,
				  "netdev_budget", (json_int_t)budget),
			"The network softirq ran out of budget %llu time(s) since boot with work "
			"left (time_squeeze): receive processing is CPU-bound at times.",
			(unsigned long long)squeezed);
	return CHECK_RAN;
}
