/* nethealth.c: the network health collector (user side of
 * nethealth.bpf.c). Loads it (tp_btf, else raw_tp, else classic
 * tracepoints), drains its ring buffer of connects and closes into two
 * bounded outlier tables (the slowest connects; the longest-lived
 * connections, tcplife-style), reads /proc/net/netstat and /proc/net/snmp
 * at start and stop (listen overflows and drops, RetransSegs, OutSegs of
 * friday's own network namespace), and harvests retransmits, resets and
 * connection figures per remote end and process, drops by reason (named
 * from the kernel's BTF enum skb_drop_reason), and the connect-latency and
 * lifetime histograms into report.measurements.nethealth,
 * report.histograms[] and report.outliers[]. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "bpf/maputil.h"
#include "bpf/nethealth.h"
#include "bpf/probe_util.h"
#include "bpf/variant.h"
#include "lib/counters.h"
#include "lib/hist.h"
#include "lib/util.h"
#include "nethealth.skel.h"

#define NET_TOP_PEERS 20
#define NET_TOP_PROCS 10
#define NET_TOP_OUTLIERS 25
#define NET_NR_NETSTAT 6
#define NET_MAX_SERVERS 64
#define NET_HEAT_MAX_S 3600     /* heat-map columns: one per second of window */

/* The window's deltas of friday's own network namespace. */
static const char *const netstat_names[NET_NR_NETSTAT] = {
	"TcpExt:ListenOverflows", "TcpExt:ListenDrops", "TcpExt:TCPSynRetrans",
	"Tcp:RetransSegs", "Tcp:OutSegs", "Tcp:ActiveOpens",
};
static const char *const netstat_keys[NET_NR_NETSTAT] = {
	"listen_overflows", "listen_drops", "syn_retrans", "retrans_segs", "out_segs",
	"active_opens",
};

/* A bounded table of the N largest events by one figure. */
struct outlier_table {
	struct net_event rows[NET_TOP_OUTLIERS];
	size_t nr;
};

/* The process that closed an accepted connection on a local port: who
 * serves it, for the peer rows of accepted connections (accepting runs in
 * softirq, where the kernel knows no process). */
struct net_server {
	uint16_t family, port;
	uint32_t pid;
	char comm[NET_COMM_LEN];
};

struct net_priv {
	struct nethealth_bpf *skel;
	struct net_server servers[NET_MAX_SERVERS];
	size_t nr_servers;
	struct probe_load ld;
	struct ring_buffer *rb;
	struct outlier_table slow_connects, long_lived;
	uint64_t netstat0[NET_NR_NETSTAT], netstat1[NET_NR_NETSTAT];
	bool netstat_found[NET_NR_NETSTAT];
	int netstat_err;
	uint64_t start_ns;          /* CLOCK_MONOTONIC, as bpf_ktime_get_ns */
	uint32_t (*heat)[HIST_SLOTS];   /* connects per second of window and log2 us */
	size_t heat_cols;
};

static void *open_skel(void) { return nethealth_bpf__open(); }
static struct bpf_object *skel_obj(void *s) { return ((struct nethealth_bpf *)s)->obj; }
static int load_skel(void *s) { return nethealth_bpf__load(s); }
static int attach_skel(void *s) { return nethealth_bpf__attach(s); }
static void destroy_skel(void *s) { nethealth_bpf__destroy(s); }

static void knobs(void *s, struct collector *c, enum attach_kind kind)
{
	struct nethealth_bpf *skel = s;
	struct net_priv *p = c->priv;

	char text[64];
	unsigned lo, hi;

	skel->rodata->targ_tgid = c->opts ? c->opts->pid : 0;
	skel->rodata->targ_cgid = p->ld.cgid;
	if (read_file("/proc/sys/net/ipv4/ip_local_port_range", text, sizeof(text)) > 0 &&
	    sscanf(text, "%u %u", &lo, &hi) == 2 && lo <= hi && hi < 65536) {
		skel->rodata->ephemeral_lo = lo;
		skel->rodata->ephemeral_hi = hi;
	}
}

static const struct variant_ops loader = {
	.open = open_skel, .object = skel_obj, .knobs = knobs, .load = load_skel,
	.attach = attach_skel, .destroy = destroy_skel,
};

/* Keeps the N largest by key(): replaces the smallest when full. */
static void outlier_add(struct outlier_table *t, const struct net_event *e,
			uint64_t (*key)(const struct net_event *))
{
	size_t min = 0;

	if (t->nr < NET_TOP_OUTLIERS) {
		t->rows[t->nr++] = *e;
		return;
	}
	for (size_t i = 1; i < t->nr; i++)
		if (key(&t->rows[i]) < key(&t->rows[min]))
			min = i;
	if (key(e) > key(&t->rows[min]))
		t->rows[min] = *e;
}

static uint64_t connect_key(const struct net_event *e) { return e->connect_us; }
static uint64_t lifetime_key(const struct net_event *e) { return e->lifetime_us; }

static void server_seen(struct net_priv *p, const struct net_event *e)
{
	size_t i;

	for (i = 0; i < p->nr_servers; i++)
		if (p->servers[i].family == e->family && p->servers[i].port == e->lport)
			break;
	if (i == NET_MAX_SERVERS)
		return;
	if (i == p->nr_servers)
		p->nr_servers++;
	p->servers[i].family = e->family;
	p->servers[i].port = e->lport;
	p->servers[i].pid = e->pid;
	memcpy(p->servers[i].comm, e->comm, sizeof(e->comm));
}

static const struct net_server *server_of(struct net_priv *p, uint16_t family, uint16_t port)
{
	for (size_t i = 0; i < p->nr_servers; i++)
		if (p->servers[i].family == family && p->servers[i].port == port)
			return &p->servers[i];
	return NULL;
}

/* A connect in the heat map: its second of the window, its log2 bucket. */
static void heat_add(struct net_priv *p, const struct net_event *e)
{
	uint64_t col = e->time_ns > p->start_ns ? (e->time_ns - p->start_ns) / 1000000000ull : 0;
	size_t slot = 0;

	if (col >= NET_HEAT_MAX_S)
		return;
	if (col >= p->heat_cols) {
		size_t n = col + 16 < NET_HEAT_MAX_S ? col + 16 : NET_HEAT_MAX_S;
		uint32_t (*h)[HIST_SLOTS] = realloc(p->heat, n * sizeof(*h));

		if (!h)
			return;
		memset(h + p->heat_cols, 0, (n - p->heat_cols) * sizeof(*h));
		p->heat = h;
		p->heat_cols = n;
	}
	for (uint64_t v = e->connect_us; v > 1 && slot + 1 < HIST_SLOTS; v >>= 1)
		slot++;
	p->heat[col][slot]++;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct net_priv *p = ctx;
	const struct net_event *e = data;

	if (size < sizeof(*e))
		return 0;
	if (e->kind == NET_EV_CONNECT)
		heat_add(p, e);
	if (e->kind == NET_EV_CLOSE && e->dir == NET_DIR_PASSIVE && e->pid)
		server_seen(p, e);
	if (e->kind == NET_EV_CONNECT || e->failed)
		outlier_add(&p->slow_connects, e, connect_key);
	if (e->kind == NET_EV_CLOSE && !e->failed)
		outlier_add(&p->long_lived, e, lifetime_key);
	return 0;
}

static int net_start(struct collector *c, char *why, size_t len)
{
	struct net_priv *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	err = probe_start(c, &loader, &p->ld, (void **)&p->skel, why, len);
	if (err)
		return err;
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), on_event, p, NULL);
	if (!p->rb) {
		snprintf(why, len, "ring buffer: %s", strerror(errno));
		return -errno;
	}
	p->start_ns = now_mono_ns();
	p->netstat_err = counters_read_paired("/proc/net/netstat", netstat_names, 3,
					      p->netstat0, p->netstat_found) < 0;
	counters_read_paired("/proc/net/snmp", netstat_names + 3, 3, p->netstat0 + 3,
			     p->netstat_found + 3);
	return 0;
}

static int net_poll(struct collector *c)
{
	struct net_priv *p = c->priv;

	return ring_buffer__consume(p->rb) < 0 ? -EIO : 0;
}

static void net_stop(struct collector *c)
{
	struct net_priv *p = c->priv;
	bool found[NET_NR_NETSTAT];

	nethealth_bpf__detach(p->skel);
	counters_read_paired("/proc/net/netstat", netstat_names, 3, p->netstat1, found);
	counters_read_paired("/proc/net/snmp", netstat_names + 3, 3, p->netstat1 + 3, found + 3);
	for (size_t i = 0; i < NET_NR_NETSTAT; i++)
		p->netstat_found[i] = p->netstat_found[i] && found[i];
	ring_buffer__consume(p->rb);
}

/* "10.0.0.2" or "fe80::1" for an address in a peer key or event. */
static void addr_text(uint16_t family, const uint8_t *addr, char *out, size_t len)
{
	if (!inet_ntop(family == 10 ? AF_INET6 : AF_INET, addr, out, len))
		snprintf(out, len, "?");
}

static void endpoint_text(uint16_t family, const uint8_t *addr, uint16_t port, char *out,
			  size_t len)
{
	char a[INET6_ADDRSTRLEN];

	addr_text(family, addr, a, sizeof(a));
	snprintf(out, len, family == 10 ? "[%s]:%u" : "%s:%u", a, port);
}

static const char *const dir_names[] = { "connect", "accept", "before-window" };

static const char *dir_name(uint32_t dir)
{
	return dir < ARRAY_SIZE(dir_names) ? dir_names[dir] : "?";
}

struct peer_row {
	struct net_peer_key k;
	struct net_peer v;
	uint64_t open_segs_out, open_retrans;   /* open connections, to their last retransmit */
	uint64_t ino;          /* an open socket of the row, to find its holder */
	uint32_t holder_pid;   /* the process that holds it (/proc/PID/fd), 0: none */
	char holder_comm[NET_COMM_LEN];
};

/* Trouble first: retransmits, then resets, then failed connects, then
 * the busiest by connections. */
static int cmp_peer(const void *a, const void *b)
{
	const struct net_peer *x = &((const struct peer_row *)a)->v;
	const struct net_peer *y = &((const struct peer_row *)b)->v;
	uint64_t kx[] = { x->retrans_segs, x->resets_sent + x->resets_received, x->connect_fails,
			  x->connects + x->accepts + x->closes };
	uint64_t ky[] = { y->retrans_segs, y->resets_sent + y->resets_received, y->connect_fails,
			  y->connects + y->accepts + y->closes };

	for (size_t i = 0; i < ARRAY_SIZE(kx); i++)
		if (kx[i] != ky[i])
			return kx[i] < ky[i] ? 1 : -1;
	return 0;
}

static json_t *peer_json(struct net_priv *p, const struct peer_row *row, double window_s)
{
	const struct net_peer *v = &row->v;
	const struct net_server *srv = row->k.dir == NET_DIR_PASSIVE && !row->k.tgid ?
				       server_of(p, row->k.family, row->k.port) : NULL;
	char remote[80], addr[INET6_ADDRSTRLEN], comm[NET_COMM_LEN + 1];
	uint32_t pid = row->k.tgid;
	const char *pid_from = NULL;
	json_t *j;

	endpoint_text(row->k.family, row->k.addr, row->k.port, remote, sizeof(remote));
	addr_text(row->k.family, row->k.addr, addr, sizeof(addr));
	probe_comm(comm, sizeof(comm), v->comm, sizeof(v->comm));
	if (!pid && row->holder_pid) {
		pid = row->holder_pid;
		probe_comm(comm, sizeof(comm), row->holder_comm, sizeof(row->holder_comm));
		pid_from = "holds the socket at the end of the window (/proc/PID/fd)";
	} else if (!pid && srv) {
		pid = srv->pid;
		probe_comm(comm, sizeof(comm), srv->comm, sizeof(srv->comm));
		pid_from = "closed an accepted connection on this port in the window";
	}
	j = json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		      "s:I, s:f, s:f}",
		      "remote", remote, "address", addr, "port", row->k.port,
		      "family", row->k.family == 10 ? "ipv6" : "ipv4",
		      "direction", dir_name(row->k.dir), "pid", (int)pid, "comm", comm,
		      "connects", (json_int_t)v->connects, "connect_fails", (json_int_t)v->connect_fails,
		      "accepts", (json_int_t)v->accepts, "closes", (json_int_t)v->closes,
		      "retrans_segs", (json_int_t)v->retrans_segs,
		      "retrans_events", (json_int_t)v->retrans_events,
		      "syn_retrans", (json_int_t)v->syn_retrans,
		      "resets_sent", (json_int_t)v->resets_sent,
		      "resets_received", (json_int_t)v->resets_received,
		      "retrans_per_s", window_s > 0 ? v->retrans_segs / window_s : 0.0,
		      "resets_per_s", window_s > 0 ? (v->resets_sent + v->resets_received) / window_s : 0.0);
	json_object_update_new(j, json_pack("{s:I, s:I, s:I, s:o}",
		"open_segs_out", (json_int_t)row->open_segs_out,
		"open_retrans", (json_int_t)row->open_retrans,
		"ratio_segs_out", (json_int_t)(v->segs_out + row->open_segs_out),
		"retrans_pct", v->segs_out + row->open_segs_out ?
		json_real(100.0 * (v->closed_retrans + row->open_retrans) /
			  (v->segs_out + row->open_segs_out)) : json_null()));
	json_object_update_new(j, json_pack("{s:I, s:I, s:o, s:I, s:I, s:f, s:f, s:f}",
		"segs_out", (json_int_t)v->segs_out, "closed_retrans", (json_int_t)v->closed_retrans,
		"closed_retrans_pct", v->segs_out ? json_real(100.0 * v->closed_retrans / v->segs_out) :
		json_null(),
		"bytes_acked", (json_int_t)v->bytes_acked, "bytes_received", (json_int_t)v->bytes_received,
		"lifetime_ms_avg", v->closes ? v->lifetime_us / 1e3 / v->closes : 0.0,
		"connect_ms_avg", v->connects ? v->connect_us / 1e3 / v->connects : 0.0,
		"connect_ms_max", v->connect_us_max / 1e3));
	if (pid_from)
		json_object_set_new(j, "pid_from", json_string(pid_from));
	return j;
}

/* Connections still open that retransmitted: the segments they sent and
 * retransmitted from when friday first saw them to their last retransmit,
 * added to their peer's row, so a long-lived lossy connection has a ratio
 * too. */
static void open_conns(struct net_priv *p, struct peer_row *rows, long nr_rows)
{
	uint64_t *keys = NULL;
	struct net_conn *vals = NULL;
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.conns), sizeof(*keys), sizeof(*vals),
				NET_MAX_CONNS, (void **)&keys, (void **)&vals);

	for (long i = 0; i < n; i++) {
		const struct net_conn *c = &vals[i];

		if (!c->target || !c->last_segs_out || c->last_segs_out < c->base_segs_out)
			continue;
		for (long r = 0; r < nr_rows; r++) {
			if (memcmp(&rows[r].k, &c->key, sizeof(c->key)))
				continue;
			rows[r].open_segs_out += c->last_segs_out - c->base_segs_out;
			rows[r].open_retrans += c->last_retrans - c->base_retrans;
			if (c->ino)
				rows[r].ino = c->ino;
			break;
		}
	}
	free(keys);
	free(vals);
}

/* The processes holding the sockets of the top rows that name none (seen
 * first at a retransmit: opened before the window, or accepted), from
 * /proc/PID/fd links "socket:[INODE]", as ss -p finds them; sockets of
 * every network namespace share one inode space. One pass over /proc. */
static void find_holders(struct peer_row *rows, long n)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	long want = 0;

	for (long i = 0; i < n && i < NET_TOP_PEERS; i++)
		want += rows[i].ino && !rows[i].k.tgid;
	while (want && proc && (d = readdir(proc))) {
		char path[300], link[64];
		DIR *fds;
		struct dirent *f;
		uint32_t pid = (uint32_t)strtoul(d->d_name, NULL, 10);

		if (!pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%u/fd", pid);
		if (!(fds = opendir(path)))
			continue;
		while ((f = readdir(fds))) {
			unsigned long long ino;
			ssize_t len;

			snprintf(path, sizeof(path), "/proc/%u/fd/%s", pid, f->d_name);
			len = readlink(path, link, sizeof(link) - 1);
			if (len <= 0)
				continue;
			link[len] = '\0';
			if (sscanf(link, "socket:[%llu]", &ino) != 1)
				continue;
			for (long i = 0; i < n && i < NET_TOP_PEERS; i++) {
				if (rows[i].ino != ino || rows[i].holder_pid || rows[i].k.tgid)
					continue;
				rows[i].holder_pid = pid;
				snprintf(path, sizeof(path), "/proc/%u/comm", pid);
				if (read_file(path, rows[i].holder_comm, sizeof(rows[i].holder_comm)) > 0)
					rows[i].holder_comm[strcspn(rows[i].holder_comm, "\n")] = '\0';
				want--;
			}
		}
		closedir(fds);
	}
	if (proc)
		closedir(proc);
}

/* Every peer row, the top ones into measurements; the totals of all. */
static json_t *peers_harvest(struct net_priv *p, double window_s, size_t *nr_rows)
{
	struct net_peer_key *keys = NULL;
	struct net_peer *vals = NULL;
	struct peer_row *rows;
	json_t *arr = json_array();
	long n = probe_map_dump(bpf_map__fd(p->skel->maps.peers), sizeof(*keys), sizeof(*vals),
				NET_MAX_PEERS, (void **)&keys, (void **)&vals);

	rows = n > 0 ? calloc(n, sizeof(*rows)) : NULL;
	for (long i = 0; rows && i < n; i++) {
		rows[i].k = keys[i];
		rows[i].v = vals[i];
	}
	if (rows)
		open_conns(p, rows, n);
	if (rows)
		qsort(rows, n, sizeof(*rows), cmp_peer);
	if (rows)
		find_holders(rows, n);
	for (long i = 0; rows && i < n && i < NET_TOP_PEERS; i++)
		json_array_append_new(arr, peer_json(p, &rows[i], window_s));
	*nr_rows = n > 0 ? (size_t)n : 0;
	free(rows);
	free(keys);
	free(vals);
	return arr;
}

static uint64_t proc_connects(const void *v) { return ((const struct net_proc *)v)->count; }

/* Connect latency per process: the busiest into measurements and as a
 * per-process breakdown of the histogram. */
static json_t *procs_harvest(struct net_priv *p, json_t *hist)
{
	json_t *arr = json_array();
	struct probe_top t;
	long n = probe_top_read(&t, bpf_map__fd(p->skel->maps.procs), sizeof(uint32_t),
				sizeof(struct net_proc), NET_MAX_PROCS, proc_connects);

	for (long i = 0; i < n && i < NET_TOP_PROCS; i++) {
		const struct net_proc *v = t.order[i];
		uint32_t pid = *(const uint32_t *)probe_top_key(&t, i);
		struct hist_stats st;
		char comm[NET_COMM_LEN + 1], key[48];

		probe_comm(comm, sizeof(comm), v->comm, sizeof(v->comm));
		hist_compute((const uint64_t *)v->slots, HIST_SLOTS, v->max_us, &st);
		snprintf(key, sizeof(key), "%s/%u", comm, pid);
		hist_add_breakdown(hist, "process", key, (const uint64_t *)v->slots, HIST_SLOTS, v->max_us,
				   json_pack("{s:s, s:i}", "comm", comm, "pid", (int)pid));
		json_array_append_new(arr, json_pack("{s:i, s:s, s:I, s:f, s:f, s:f, s:f}",
			"pid", (int)pid, "comm", comm, "connects", (json_int_t)v->count,
			"avg_us", v->count ? (double)v->sum_us / v->count : 0.0,
			"p50_us", st.p50, "p99_us", st.p99, "max_us", (double)v->max_us));
	}
	probe_top_free(&t);
	return arr;
}

/* The kernel's name for a drop reason, from BTF enum skb_drop_reason
 * ("SKB_DROP_REASON_NO_SOCKET" -> "NO_SOCKET"); NULL when it has none. */
static const char *reason_name(const struct btf *btf, int enum_id, uint32_t reason)
{
	const struct btf_type *t = enum_id > 0 ? btf__type_by_id(btf, enum_id) : NULL;
	const struct btf_enum *e;

	if (!t || !btf_is_enum(t))
		return NULL;
	e = btf_enum(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, e++) {
		const char *name = btf__name_by_offset(btf, e->name_off);

		if ((uint32_t)e->val == reason && name)
			return str_starts(name, "SKB_DROP_REASON_") ? name + 16 : name;
	}
	return NULL;
}

/* Names the kernel functions that hold addrs[] (NAME+0xOFF) in one pass
 * over /proc/kallsyms: a few look-ups, so no table is built (building
 * one costs seconds on a loaded host). Unnamed ones stay "". */
static void ksym_names(const uint64_t *addrs, size_t n, char (*names)[160])
{
	uint64_t best[NET_MAX_REASONS] = { 0 };
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256], sym[128], type;
	unsigned long long a;

	for (size_t i = 0; i < n; i++)
		names[i][0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &a, &type, sym) != 3 || !a ||
		    (type != 't' && type != 'T'))
			continue;
		for (size_t i = 0; i < n; i++)
			if (a <= addrs[i] && a > best[i]) {
				best[i] = a;
				snprintf(names[i], sizeof(names[i]), "%s+0x%llx", sym,
					 (unsigned long long)(addrs[i] - a));
			}
	}
	fclose(f);
}

static int cmp_reason(const void *a, const void *b)
{
	const struct net_reason *x = a, *y = b;

	return probe_cmp_desc(x->count, y->count);
}

static json_t *drops_harvest(struct net_priv *p, double window_s)
{
	struct { struct net_reason v; uint32_t reason; } rows[NET_MAX_REASONS];
	int fd = bpf_map__fd(p->skel->maps.reasons);
	/* Parsed once per run: a drill-down harvests again. */
	static struct btf *btf;
	int enum_id;
	json_t *arr = json_array();
	uint64_t total = 0, addrs[NET_MAX_REASONS];
	static char where[NET_MAX_REASONS][160];
	size_t n = 0;

	if (!btf)
		btf = btf__load_vmlinux_btf();
	enum_id = btf ? btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) : -1;
	for (uint32_t r = 0; r < NET_MAX_REASONS; r++) {
		struct net_reason v;

		if (bpf_map_lookup_elem(fd, &r, &v) || !v.count)
			continue;
		rows[n].v = v;
		rows[n++].reason = r;
		total += v.count;
	}
	qsort(rows, n, sizeof(rows[0]), cmp_reason);
	for (size_t i = 0; i < n; i++)
		addrs[i] = rows[i].v.location;
	ksym_names(addrs, n, where);
	for (size_t i = 0; i < n; i++) {
		const char *name = reason_name(btf, enum_id, rows[i].reason);
		char unnamed[32];

		snprintf(unnamed, sizeof(unnamed), "reason_%u", rows[i].reason);
		json_array_append_new(arr, json_pack("{s:i, s:s, s:I, s:f, s:s}",
			"reason", (int)rows[i].reason, "name", name ? name : unnamed,
			"count", (json_int_t)rows[i].v.count,
			"per_s", window_s > 0 ? rows[i].v.count / window_s : 0.0,
			"last_location", where[i]));
	}
	return json_pack("{s:I, s:f, s:b, s:o}", "total", (json_int_t)total,
			 "per_s", window_s > 0 ? total / window_s : 0.0,
			 "reasons_named", enum_id > 0, "reasons", arr);
}

/* Listen overflows and drops, and TCP retransmits of friday's own network
 * namespace, as deltas over the window (null when the kernel lacks one). */
static json_t *netstat_json(struct net_priv *p)
{
	json_t *j = json_pack("{s:s}", "source", "/proc/net/netstat TcpExt, /proc/net/snmp Tcp "
			      "(friday's network namespace), read at start and stop");

	for (size_t i = 0; i < NET_NR_NETSTAT; i++)
		json_object_set_new(j, netstat_keys[i], p->netstat_found[i] && !p->netstat_err ?
				    json_integer((json_int_t)(p->netstat1[i] - p->netstat0[i])) :
				    json_null());
	return j;
}

static double rel_s(struct net_priv *p, uint64_t ns)
{
	return ns > p->start_ns ? (ns - p->start_ns) / 1e9 : 0;
}

static uint64_t (*sort_key)(const struct net_event *);

static int cmp_event(const void *a, const void *b)
{
	return probe_cmp_desc(sort_key(a), sort_key(b));
}

static json_t *event_row(struct net_priv *p, const struct net_event *e, bool lifetime)
{
	char local[80], remote[80], comm[NET_COMM_LEN + 1];

	endpoint_text(e->family, e->laddr, e->lport, local, sizeof(local));
	endpoint_text(e->family, e->raddr, e->rport, remote, sizeof(remote));
	probe_comm(comm, sizeof(comm), e->comm, sizeof(e->comm));
	if (!lifetime)
		return json_pack("[f, i, s, s, s, f, s]", rel_s(p, e->time_ns), (int)e->pid, comm,
				 local, remote, e->connect_us / 1e3, e->failed ? "failed" : "ok");
	return json_pack("[f, i, s, s, s, s, f, f, f, i, i]", rel_s(p, e->time_ns), (int)e->pid,
			 comm, local, remote, dir_name(e->dir), e->lifetime_us / 1e3,
			 e->bytes_acked / 1024.0, e->bytes_received / 1024.0, (int)e->total_retrans,
			 (int)e->segs_out);
}

/* report.outliers[] and heatmaps[]: optional in the contract (not made by
 * report_new), so made on first use. */
static json_t *optional_array(struct report *r, const char *key)
{
	json_t *a = json_object_get(r->doc, key);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(r->doc, key, a);
	}
	return a;
}

/* A name not yet used in report.ARRAY[] (histograms, outliers, heatmaps):
 * a collector run again by a Thursday drill-down keeps its tables apart. */
static void unique_name(struct report *r, const char *array, const char *base, char *out,
			size_t len)
{
	snprintf(out, len, "%s", base);
	for (int n = 2;; n++) {
		json_t *x;
		size_t i;
		bool used = false;

		json_array_foreach(!strcmp(array, "histograms") ? report_get(r, array) :
				   optional_array(r, array), i, x)
			used |= !strcmp(json_string_value(json_object_get(x, "name")) ?: "", out);
		if (!used)
			return;
		snprintf(out, len, "%s-%d", base, n);
	}
}

static void tag_step(struct report *r, json_t *item)
{
	if (!r->step)
		return;
	json_object_set_new(item, "stage", json_string(r->stage));
	json_object_set(item, "step", json_object_get(r->step, "id"));
}

static void outliers_harvest(struct net_priv *p, struct report *r)
{
	static const char *const conn_cols[] = { "t_s", "pid", "comm", "local", "remote",
						 "connect_ms", "result" };
	static const char *const life_cols[] = { "t_s", "pid", "comm", "local", "remote",
						 "direction", "lifetime_ms", "tx_kb", "rx_kb",
						 "retrans", "segs_out" };
	struct { struct outlier_table *t; const char *name, *title; const char *const *cols;
		 size_t nr_cols; uint64_t (*key)(const struct net_event *); bool life; } tabs[] = {
		{ &p->slow_connects, "network.slow_connects", "Slowest TCP connects (SYN_SENT -> "
		  "ESTABLISHED; time to failure for failed ones), t_s after the window opened",
		  conn_cols, ARRAY_SIZE(conn_cols), connect_key, false },
		{ &p->long_lived, "network.connections", "Longest-lived TCP connections that closed "
		  "in the window (tcplife): bytes sent and acknowledged (tx), received (rx)",
		  life_cols, ARRAY_SIZE(life_cols), lifetime_key, true },
	};

	for (size_t t = 0; t < ARRAY_SIZE(tabs); t++) {
		char name[64];
		json_t *cols, *rows, *o;

		if (!tabs[t].t->nr)
			continue;
		cols = json_array();
		rows = json_array();
		sort_key = tabs[t].key;
		qsort(tabs[t].t->rows, tabs[t].t->nr, sizeof(struct net_event), cmp_event);
		for (size_t i = 0; i < tabs[t].nr_cols; i++)
			json_array_append_new(cols, json_string(tabs[t].cols[i]));
		for (size_t i = 0; i < tabs[t].t->nr; i++)
			json_array_append_new(rows, event_row(p, &tabs[t].t->rows[i], tabs[t].life));
		unique_name(r, "outliers", tabs[t].name, name, sizeof(name));
		o = json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", name, "title", tabs[t].title,
			      "source", "nethealth", "columns", cols, "rows", rows);
		tag_step(r, o);
		json_array_append_new(optional_array(r, "outliers"), o);
	}
}

/* Connect latency over the window (TH-08): seconds across, log2 buckets
 * of microseconds up, only the rows from the lowest to the highest used. */
static void heatmap_harvest(struct net_priv *p, struct report *r, double window_s)
{
	size_t cols = (size_t)(window_s + 1), lo = HIST_SLOTS, hi = 0;
	json_t *xs, *ys, *counts, *h;
	char name[64];

	if (cols > p->heat_cols)
		cols = p->heat_cols;
	for (size_t c = 0; c < cols; c++)
		for (size_t s = 0; s < HIST_SLOTS; s++)
			if (p->heat[c][s]) {
				lo = s < lo ? s : lo;
				hi = s > hi ? s : hi;
			}
	if (lo > hi)
		return;
	xs = json_array();
	ys = json_array();
	counts = json_array();
	for (size_t s = lo; s <= hi; s++)
		json_array_append_new(ys, json_integer((json_int_t)hist_slot_low(s)));
	for (size_t c = 0; c < cols; c++) {
		json_t *col = json_array();

		json_array_append_new(xs, json_integer((json_int_t)c));
		for (size_t s = lo; s <= hi; s++)
			json_array_append_new(col, json_integer(p->heat[c][s]));
		json_array_append_new(counts, col);
	}
	unique_name(r, "heatmaps", "network.connect_latency", name, sizeof(name));
	h = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "name", name, "title",
		      "TCP connect latency over the window (connects per second and log2 bucket)",
		      "source", "nethealth", "x_unit", "s", "y_unit", "us", "x", xs, "y", ys,
		      "counts", counts);
	tag_step(r, h);
	json_array_append_new(optional_array(r, "heatmaps"), h);
}

static void append_hist(struct report *r, json_t *h)
{
	char name[64];

	if (!json_integer_value(json_object_get(h, "count"))) {
		json_decref(h);
		return;
	}
	unique_name(r, "histograms", json_string_value(json_object_get(h, "name")), name,
		    sizeof(name));
	json_object_set_new(h, "name", json_string(name));
	tag_step(r, h);
	hist_append(report_get(r, "histograms"), h);
}

static json_t *stats_json(const uint64_t *slots)
{
	struct hist_stats st;

	hist_compute(slots, HIST_SLOTS, 0, &st);
	return json_pack("{s:I, s:f, s:f, s:f, s:f}", "count", (json_int_t)st.count, "p50", st.p50,
			 "p90", st.p90, "p99", st.p99, "max", st.max);
}

static json_t *tcp_json(int cfd, double window_s)
{
	uint64_t v[NET_NR_COUNTERS];

	maputil_percpu_u64s(cfd, 0, NET_NR_COUNTERS, v);
	return json_pack("{s:I, s:I, s:I, s:f, s:I, s:I, s:f, s:I, s:I, s:I, s:I}",
		"retrans_segs", (json_int_t)v[NET_RETRANS_SEGS],
		"retrans_events", (json_int_t)v[NET_RETRANS_EVENTS],
		"syn_retrans", (json_int_t)v[NET_SYN_RETRANS],
		"retrans_per_s", window_s > 0 ? v[NET_RETRANS_SEGS] / window_s : 0.0,
		"resets_sent", (json_int_t)v[NET_RESETS_SENT],
		"resets_received", (json_int_t)v[NET_RESETS_RECEIVED],
		"resets_per_s", window_s > 0 ?
			(v[NET_RESETS_SENT] + v[NET_RESETS_RECEIVED]) / window_s : 0.0,
		"connects", (json_int_t)v[NET_CONNECTS], "connect_fails", (json_int_t)v[NET_CONNECT_FAILS],
		"accepts", (json_int_t)v[NET_ACCEPTS], "closes", (json_int_t)v[NET_CLOSES]);
}

static int net_harvest(struct collector *c, struct report *r)
{
	struct net_priv *p = c->priv;
	int cfd = bpf_map__fd(p->skel->maps.counters), hfd = bpf_map__fd(p->skel->maps.hists);
	uint64_t conn_slots[HIST_SLOTS], life_slots[HIST_SLOTS];
	json_t *h_conn, *h_life, *m;
	size_t nr_peers = 0;

	maputil_percpu_hist(hfd, NET_HIST_CONNECT, conn_slots);
	maputil_percpu_hist(hfd, NET_HIST_LIFETIME, life_slots);
	c->lost_events = maputil_percpu_u64(cfd, NET_LOST_CONNS_FULL) +
			 maputil_percpu_u64(cfd, NET_LOST_PEERS_FULL) +
			 maputil_percpu_u64(cfd, NET_LOST_PROCS_FULL) +
			 maputil_percpu_u64(cfd, NET_LOST_RINGBUF);
	h_conn = hist_json("network.connect_latency", "us", "nethealth", conn_slots, HIST_SLOTS, 0);
	h_life = hist_json("network.connection_lifetime", "us", "nethealth", life_slots, HIST_SLOTS, 0);
	m = json_pack("{s:s, s:f, s:I, s:{s:i, s:s}, s:o, s:o, s:o}",
		      "attach", attach_kind_name(p->ld.kind), "window_s", c->window_s,
		      "lost_events", (json_int_t)c->lost_events,
		      "filter", "pid", c->opts ? (int)c->opts->pid : 0, "cgroup",
		      c->opts && c->opts->cgroup ? c->opts->cgroup : "",
		      "tcp", tcp_json(cfd, c->window_s),
		      "connect_latency_us", stats_json(conn_slots),
		      "lifetime_us", stats_json(life_slots));
	json_object_set(m, "missing_probes", p->ld.missing);
	json_object_set_new(m, "peers", peers_harvest(p, c->window_s, &nr_peers));
	json_object_set_new(m, "nr_peers", json_integer((json_int_t)nr_peers));
	json_object_set_new(m, "processes", procs_harvest(p, h_conn));
	json_object_set_new(m, "drops", drops_harvest(p, c->window_s));
	json_object_set_new(m, "netstat", netstat_json(p));
	json_object_set_new(m, "lost", json_pack("{s:I, s:I, s:I, s:I}",
		"sockets_map_full", (json_int_t)maputil_percpu_u64(cfd, NET_LOST_CONNS_FULL),
		"peers_map_full", (json_int_t)maputil_percpu_u64(cfd, NET_LOST_PEERS_FULL),
		"processes_map_full", (json_int_t)maputil_percpu_u64(cfd, NET_LOST_PROCS_FULL),
		"ringbuf_full", (json_int_t)maputil_percpu_u64(cfd, NET_LOST_RINGBUF)));
	tag_step(r, m);
	json_object_set_new(report_get(r, "measurements"), "nethealth", m);
	append_hist(r, h_conn);
	append_hist(r, h_life);
	outliers_harvest(p, r);
	heatmap_harvest(p, r, c->window_s);
	return 0;
}

static void net_destroy(struct collector *c)
{
	struct net_priv *p = c->priv;

	if (!p)
		return;
	ring_buffer__free(p->rb);
	free(p->heat);
	if (p->skel)
		nethealth_bpf__destroy(p->skel);
	json_decref(p->ld.missing);
	free(p);
	c->priv = NULL;
}

static struct bpf_object *net_object(struct collector *c)
{
	struct net_priv *p = c->priv;

	return p && p->skel ? p->skel->obj : NULL;
}

const struct collector_ops nethealth_collector = {
	.name = "nethealth",
	.subsystem = "network",
	.summary = "TCP retransmits, resets, connect latency and lifetimes per remote end and "
		   "process; packet drops by reason; listen overflows",
	.available = probe_require_root,
	.start = net_start,
	.poll = net_poll,
	.stop = net_stop,
	.harvest = net_harvest,
	.destroy = net_destroy,
	.object = net_object,
};
