/* rules_dns.c: the DNS part of the network health rule. Reads dnslat's
 * results (report.measurements.dnslat): name lookups through the C
 * library whose p99 is above 100 ms (TH-05) make network suspect, with a
 * network.slow_dns finding naming the slowest lookup (process, name,
 * latency). Silent when dnslat was not in the playbook: network's other
 * probes own the verdict then. */
#include <stdio.h>
#include <string.h>

#include "checks/findings.h"
#include "checks/judge.h"
#include "checks/rules_probe.h"
#include "checks/tuesday.h"

static const struct threshold dns_p99_warn = {
	"dns_p99_warn_ms", 100, "TH-05 [S5, S15 gethostlatency]: DNS p99 > 100 ms [heur] -> WARN"
};

const struct finding_def dns_rule_findings[] = {
	{ "network.slow_dns", "network", "Slow name lookups (DNS) through the C library",
	  "TH-05 [S5, S15 gethostlatency]; DNS p99 over 100 ms [heur]",
	  "Time the resolver in /etc/resolv.conf (dig @SERVER NAME); cache names in the "
	  "process or run a local caching resolver (nscd, systemd-resolved, dnsmasq)" },
	{ NULL },
};

/* The slowest lookup listed, or NULL. */
static json_t *slowest(json_t *m)
{
	json_t *best = NULL, *s;
	size_t i;

	json_array_foreach(json_object_get(m, "slow_lookups"), i, s)
		if (!best || jnum(s, "latency_ms") > jnum(best, "latency_ms"))
			best = s;
	return best;
}

static json_t *slow_evidence(json_t *m, json_t *worst, double p99)
{
	json_t *ev = rule_evidence(&dns_p99_warn, p99, "ms", "dnslat");

	json_object_set_new(ev, "lookups", json_real(jpath_num(m, "lookups")));
	json_object_set_new(ev, "slow", json_real(jpath_num(m, "slow")));
	json_object_set_new(ev, "slow_ms", json_real(jpath_num(m, "slow_ms")));
	json_object_set_new(ev, "max_ms", json_real(jpath_num(m, "latency_ms.max")));
	if (worst)
		json_object_set_new(ev, "slowest", json_pack("{s:s, s:s, s:i, s:f, s:s}",
					"host", jstr(worst, "host"), "comm", jstr(worst, "comm"),
					"pid", (int)jnum(worst, "pid"),
					"latency_ms", jnum(worst, "latency_ms"),
					"function", jstr(worst, "function")));
	json_object_set(ev, "processes", json_object_get(m, "processes"));
	return ev;
}

void judge_dns(struct report *r)
{
	json_t *m, *worst, *health;
	double p99, lookups;

	if (!json_object_get(report_get(r, "collectors"), "dnslat"))
		return;
	m = rule_measurement(r, "dnslat", "network");
	if (!m)
		return;
	lookups = jpath_num(m, "lookups");
	p99 = jpath_num(m, "latency_ms.p99");
	if (!lookups) {
		/* Nothing resolved: DNS says nothing either way. */
		report_set_health(r, "network", VERDICT_UNKNOWN, "DNS: no name lookup through %s in "
				  "the %.1f s window (dnslat)", jpath_str(m, "libc"),
				  jpath_num(m, "window_s"));
		return;
	}
	if (p99 <= dns_p99_warn.value) {
		report_set_health(r, "network", VERDICT_EXONERATED, "DNS: %.0f lookups, p99 %.1f ms, "
				  "max %.1f ms; suspect above %.0f ms (TH-05, dnslat)", lookups, p99,
				  jpath_num(m, "latency_ms.max"), dns_p99_warn.value);
		return;
	}
	worst = slowest(m);
	health = report_set_health(r, "network", VERDICT_SUSPECT, "DNS: %.0f lookups, p99 %.1f ms "
				   "over %.0f ms (TH-05, dnslat); slowest: %s looking up %s, %.1f ms",
				   lookups, p99, dns_p99_warn.value, worst ? jstr(worst, "comm") : "?",
				   worst ? jstr(worst, "host") : "?", worst ? jnum(worst, "latency_ms") : 0);
	report_add_finding(r, "network.slow_dns", SEV_WARNING, slow_evidence(m, worst, p99),
			   "Name lookups are slow: p99 %.0f ms over %.0f lookups; %s (pid %d) waited "
			   "%.0f ms for %s (%s).", p99, lookups, worst ? jstr(worst, "comm") : "?",
			   worst ? (int)jnum(worst, "pid") : 0, worst ? jnum(worst, "latency_ms") : 0,
			   worst ? jstr(worst, "host") : "?", worst ? jstr(worst, "function") : "?");
	report_health_add_next_step(health, "Look up the slowest name against each resolver of "
				    "/etc/resolv.conf (dig @SERVER NAME) to find the slow one");
}
