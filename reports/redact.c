/* redact.c: finds values that look like secrets (and, when asked, host
 * names and addresses) in text and in the report model, and replaces them
 * (see redact.h). One left-to-right scan tries a table of matchers at each
 * position; each matcher says where the value to replace starts and ends,
 * and where the scan goes on. */
#include "reports/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "lib/util.h"

static const char *const kind_names[REDACT_NR_KINDS] = {
	[REDACT_SECRET_VALUE] = "secret_value",
	[REDACT_URL_CREDENTIALS] = "url_credentials",
	[REDACT_BEARER_TOKEN] = "bearer_token",
	[REDACT_AWS_ACCESS_KEY] = "aws_access_key",
	[REDACT_API_TOKEN] = "api_token",
	[REDACT_HOSTNAME] = "hostname",
	[REDACT_IPV4] = "ipv4",
	[REDACT_IPV6] = "ipv6",
	[REDACT_MAC] = "mac",
};

/* Placeholders per kind in hosts mode: host-1, ipv4-1, ... */
static const char *const placeholder_prefix[REDACT_NR_KINDS] = {
	[REDACT_HOSTNAME] = "host", [REDACT_IPV4] = "ipv4",
	[REDACT_IPV6] = "ipv6", [REDACT_MAC] = "mac",
};

const char *redact_kind_name(enum redact_kind kind)
{
	return (unsigned)kind < REDACT_NR_KINDS ? kind_names[kind] : "?";
}

void redactor_init(struct redactor *rd, bool secrets, bool hosts)
{
	memset(rd, 0, sizeof(*rd));
	rd->secrets = secrets;
	rd->hosts = hosts;
	rd->counting = true;
}

void redactor_free(struct redactor *rd)
{
	for (size_t i = 0; i < rd->nr_map; i++) {
		free(rd->map[i].value);
		free(rd->map[i].placeholder);
	}
	free(rd->map);
	for (size_t i = 0; i < rd->nr_own_names; i++)
		free(rd->own_names[i]);
	memset(rd, 0, sizeof(*rd));
}

void redactor_add_own_name(struct redactor *rd, const char *name)
{
	/* "localhost" names no one; a one-letter name would eat the text. */
	if (!name || strlen(name) < 2 || !strcasecmp(name, "localhost") ||
	    rd->nr_own_names == ARRAY_SIZE(rd->own_names))
		return;
	for (size_t i = 0; i < rd->nr_own_names; i++)
		if (!strcasecmp(rd->own_names[i], name))
			return;
	rd->own_names[rd->nr_own_names++] = strdup(name);
}

/* ---- character classes ---- */

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static bool is_ident(char c)
{
	return is_word(c) || c == '-' || c == '.';
}

static bool is_hex(char c)
{
	return isxdigit((unsigned char)c);
}

/* Where an unquoted value ends: blanks, quotes, escapes, markup, the ';'
 * between frames of a folded stack, '&' between URL parameters. */
static bool ends_value(char c)
{
	return (unsigned char)c <= ' ' || strchr("\"'\\<>&;", c) || c == 0x7f;
}

static bool is_token_char(char c)
{
	return isalnum((unsigned char)c) || strchr("._~+/=-", c);
}

/* ---- the secret names ---- */

/* Last parts of an identifier that name a secret: DB_PASSWORD, api-key. */
static const char *const secret_words[] = {
	"password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "key",
	"apikey", "credential", "credentials", "auth", "authorization", "cookie",
	"privatekey", "sessionid", "signature",
};
/* Endings of camelCase identifiers that name a secret: accessToken. */
static const char *const secret_suffixes[] = {
	"password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey",
};

bool redact_key_is_secret(const char *key, size_t len)
{
	char low[128];
	size_t n = 0, part;

	while (len && *key == '-')
		key++, len--;
	if (!len || len >= sizeof(low))
		return false;
	for (size_t i = 0; i < len; i++)
		low[n++] = (char)tolower((unsigned char)key[i]);
	low[n] = '\0';
	for (part = n; part > 0 && !strchr("_.-", low[part - 1]); part--)
		;
	for (size_t i = 0; i < ARRAY_SIZE(secret_words); i++)
		if (!strcmp(low + part, secret_words[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(secret_suffixes); i++) {
		size_t sl = strlen(secret_suffixes[i]);

		if (n >= sl && !strcmp(low + n - sl, secret_suffixes[i]))
			return true;
	}
	return false;
}

/* ---- matchers ---- */

struct match {
	size_t vstart, vend;   /* the value to replace */
	size_t next;           /* where the scan goes on (>= vend) */
};

struct text {
	const char *s;
	size_t len;
};

static char at(const struct text *t, size_t i)
{
	return i < t->len ? t->s[i] : '\0';
}

static bool starts_ci(const struct text *t, size_t i, const char *word)
{
	size_t n = strlen(word);

	return i + n <= t->len && !strncasecmp(t->s + i, word, n);
}

/* A quote as it appears in raw text, JSON or HTML; returns its length. */
static size_t quote_len(const struct text *t, size_t i)
{
	static const char *const quotes[] = { "\\\"", "\"", "'", "&quot;", "&#39;", "&#34;" };

	for (size_t q = 0; q < ARRAY_SIZE(quotes); q++)
		if (i + strlen(quotes[q]) <= t->len && !strncmp(t->s + i, quotes[q], strlen(quotes[q])))
			return strlen(quotes[q]);
	return 0;
}

static bool already_redacted(const struct text *t, size_t i)
{
	return starts_ci(t, i, REDACT_MARKER);
}

/* NAME=value, NAME: value, "NAME": "value", --NAME value */
static bool match_secret_value(const struct text *t, size_t i, struct match *m)
{
	size_t p = i, key_end, q, v;
	bool option_form = false, quoted = false;
	char open = 0;

	if (i > 0 && is_ident(t->s[i - 1]))
		return false;
	while (p < t->len && is_ident(t->s[p]))
		p++;
	key_end = p;
	if (key_end == i || !redact_key_is_secret(t->s + i, key_end - i))
		return false;
	p += quote_len(t, p);
	while (at(t, p) == ' ')
		p++;
	if (at(t, p) == '=' || at(t, p) == ':') {
		/* "a= b" is an empty value in a shell; "a = b" and "a: b" are not */
		bool skip_blanks = at(t, p) == ':' || at(t, p - 1) == ' ';

		p++;
		if (at(t, p) == '=')
			p++;
		while (skip_blanks && at(t, p) == ' ')
			p++;
	} else if (t->s[i] == '-' && key_end < t->len && t->s[key_end] == ' ' &&
		   at(t, key_end + 1) != '-') {
		option_form = true;   /* --password hunter2 */
		p = key_end + 1;
	} else {
		return false;
	}
	q = quote_len(t, p);
	if (q == 1 && !option_form) {
		open = t->s[p];
		quoted = true;
	}
	v = p + q;
	if (already_redacted(t, v))
		return false;
	p = v;
	if (quoted)
		while (p < t->len && t->s[p] != open && t->s[p] != '\n' && t->s[p] != '\\')
			p++;
	else
		while (p < t->len && !ends_value(t->s[p]))
			p++;
	/* "Authorization: Bearer x": the scheme word and the token after it */
	if (!quoted && (starts_ci(t, v, "bearer ") || starts_ci(t, v, "basic ")) &&
	    p + 1 < t->len && is_token_char(t->s[p + 1]))
		for (p++; p < t->len && is_token_char(t->s[p]); p++)
			;
	if (p == v)
		return false;
	m->vstart = v;
	m->vend = p;
	m->next = p;
	return true;
}

/* scheme://user:pass@host: the password (or a lone user, often a token). */
static bool match_url_credentials(const struct text *t, size_t i, struct match *m)
{
	size_t p = i + 3, colon = 0;

	if (!(at(t, i) == ':' && at(t, i + 1) == '/' && at(t, i + 2) == '/'))
		return false;
	for (; p < t->len && !ends_value(t->s[p]) && !strchr("/@?#", t->s[p]); p++)
		if (t->s[p] == ':' && !colon)
			colon = p;
	if (at(t, p) != '@' || p == i + 3)
		return false;
	m->vstart = colon ? colon + 1 : i + 3;
	m->vend = p;
	m->next = p;
	if (m->vstart == m->vend)
		return false;
	return !already_redacted(t, m->vstart);
}

static bool match_bearer(const struct text *t, size_t i, struct match *m)
{
	size_t p = i + 6, v;

	if ((i > 0 && is_word(t->s[i - 1])) || !starts_ci(t, i, "bearer") || at(t, p) != ' ')
		return false;
	while (at(t, p) == ' ')
		p++;
	for (v = p; p < t->len && is_token_char(t->s[p]); p++)
		;
	if (p - v < 8)
		return false;
	m->vstart = v;
	m->vend = m->next = p;
	return true;
}

static bool match_aws_key(const struct text *t, size_t i, struct match *m)
{
	static const char *const prefixes[] = {
		"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA",
	};
	size_t p;
	bool known = false;

	if ((i > 0 && isalnum((unsigned char)t->s[i - 1])) || at(t, i) != 'A')
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(prefixes); k++)
		known |= i + 4 <= t->len && !strncmp(t->s + i, prefixes[k], 4);
	if (!known)
		return false;
	for (p = i + 4; p < t->len && (isupper((unsigned char)t->s[p]) ||
				       isdigit((unsigned char)t->s[p])); p++)
		;
	if (p - i != 20 || isalnum((unsigned char)at(t, p)))
		return false;
	m->vstart = i;
	m->vend = m->next = p;
	return true;
}

static size_t run_of(const struct text *t, size_t p, const char *extra)
{
	size_t s = p;

	while (p < t->len && (isalnum((unsigned char)t->s[p]) || strchr(extra, t->s[p])))
		p++;
	return p - s;
}

/* Tokens that announce themselves: GitHub, GitLab, Slack, Stripe, npm, JWT. */
static bool match_api_token(const struct text *t, size_t i, struct match *m)
{
	static const char *const prefixes[] = {
		"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xoxb-",
		"xoxp-", "xoxa-", "xoxs-", "sk_live_", "rk_live_", "npm_",
	};
	size_t n;

	if (i > 0 && is_word(t->s[i - 1]))
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(prefixes); k++) {
		size_t pl = strlen(prefixes[k]);

		if (i + pl > t->len || strncmp(t->s + i, prefixes[k], pl))
			continue;
		n = run_of(t, i + pl, "_-");
		if (n < 16)
			return false;
		m->vstart = i;
		m->vend = m->next = i + pl + n;
		return true;
	}
	if (i + 3 <= t->len && !strncmp(t->s + i, "eyJ", 3)) {
		size_t p = i + run_of(t, i, "_-");

		if (p - i < 10 || at(t, p) != '.' || strncmp(t->s + p + 1, "eyJ", 3))
			return false;
		p++;
		p += run_of(t, p, "_-");
		if (at(t, p) != '.')
			return false;
		p++;
		p += run_of(t, p, "_-");
		m->vstart = i;
		m->vend = m->next = p;
		return true;
	}
	return false;
}

static bool match_mac(const struct text *t, size_t i, struct match *m)
{
	size_t p = i;
	char sep = at(t, i + 2);
	bool zero = true;

	if ((i > 0 && (is_word(t->s[i - 1]) || t->s[i - 1] == ':')) || (sep != ':' && sep != '-'))
		return false;
	for (int g = 0; g < 6; g++, p += 3) {
		if (!is_hex(at(t, p)) || !is_hex(at(t, p + 1)))
			return false;
		zero &= at(t, p) == '0' && at(t, p + 1) == '0';
		if (g < 5 && at(t, p + 2) != sep)
			return false;
	}
	p -= 1;
	if (is_word(at(t, p)) || at(t, p) == sep || zero)
		return false;
	m->vstart = i;
	m->vend = m->next = p;
	return true;
}

static bool match_ipv6(const struct text *t, size_t i, struct match *m)
{
	size_t p = i, groups = 0, glen = 0, doubles = 0, hexdigits = 0;

	if (i > 0 && (is_word(t->s[i - 1]) || t->s[i - 1] == ':' || t->s[i - 1] == '.'))
		return false;
	if (!is_hex(at(t, i)) && at(t, i) != ':')
		return false;
	for (; p < t->len && (is_hex(t->s[p]) || t->s[p] == ':'); p++) {
		if (t->s[p] == ':') {
			if (glen > 4)
				return false;
			groups += glen > 0;
			if (at(t, p + 1) == ':') {
				if (at(t, p + 2) == ':')
					return false;
				doubles++;
				p++;
			}
			glen = 0;
		} else {
			glen++;
			hexdigits++;
		}
	}
	if (glen > 4)
		return false;
	groups += glen > 0;
	/* "::ffff:1.2.3.4" and "1.2" next to it belong to the IPv4 matcher;
	 * a word next to it means it was part of a name (std::add). */
	if (is_word(at(t, p)) || at(t, p) == '.' || doubles > 1)
		return false;
	if (doubles ? groups > 7 : groups != 8)
		return false;
	/* "::", "::1": no host behind them. */
	if (hexdigits <= 1)
		return false;
	m->vstart = i;
	m->vend = m->next = p;
	return true;
}

static bool match_ipv4(const struct text *t, size_t i, struct match *m)
{
	unsigned int octet[4];
	size_t p = i;

	if (i > 0 && (is_word(t->s[i - 1]) || t->s[i - 1] == '.'))
		return false;
	for (int g = 0; g < 4; g++) {
		size_t d = 0;

		octet[g] = 0;
		while (d < 4 && isdigit((unsigned char)at(t, p))) {
			octet[g] = octet[g] * 10 + (unsigned)(t->s[p] - '0');
			p++, d++;
		}
		if (d == 0 || d > 3 || octet[g] > 255)
			return false;
		if (g < 3) {
			if (at(t, p) != '.')
				return false;
			p++;
		}
	}
	if (is_word(at(t, p)) || (at(t, p) == '.' && isdigit((unsigned char)at(t, p + 1))))
		return false;
	/* Loopback, "any" and broadcast name no host. */
	if (octet[0] == 127 || (octet[0] == 0 && !octet[1] && !octet[2] && !octet[3]) ||
	    (octet[0] == 255 && octet[1] == 255 && octet[2] == 255 && octet[3] == 255))
		return false;
	m->vstart = i;
	m->vend = m->next = p;
	return true;
}

/* Top-level domains that end a DNS name; file extensions and finding ids
 * (report.json, disk.io, memory.info) must not end in one of these. */
static const char *const dns_tlds[] = {
	"com", "net", "org", "edu", "gov", "mil", "arpa", "internal", "lan", "corp",
	"localdomain", "intranet", "cloud", "uk", "de", "fr", "nl", "eu", "jp", "cn", "ru",
	"br", "au", "ca", "ch", "se", "us", "es", "it", "pl", "at", "be", "dk", "fi",
};

static bool is_own_name(const struct redactor *rd, const struct text *t, size_t i, size_t *end)
{
	for (size_t k = 0; k < rd->nr_own_names; k++) {
		size_t n = strlen(rd->own_names[k]);

		if (i + n > t->len || strncasecmp(t->s + i, rd->own_names[k], n))
			continue;
		/* "vm" and "vm." are the host; "vm.swappiness", "vm-2" and the
		 * path /proc/sys/vm/ are not. */
		if (is_word(at(t, i + n)) || at(t, i + n) == '/' || (i > 0 && t->s[i - 1] == '/') ||
		    (strchr(".-", at(t, i + n)) && at(t, i + n) && is_word(at(t, i + n + 1))))
			continue;
		*end = i + n;
		return true;
	}
	return false;
}

static bool match_hostname(const struct redactor *rd, const struct text *t, size_t i,
			   struct match *m)
{
	size_t p = i, label = i, labels = 0;

	if (i > 0 && is_ident(t->s[i - 1]))
		return false;
	if (is_own_name(rd, t, i, &p)) {
		m->vstart = i;
		m->vend = m->next = p;
		return true;
	}
	while (p < t->len && (isalnum((unsigned char)t->s[p]) || t->s[p] == '-' || t->s[p] == '.')) {
		if (t->s[p] == '.') {
			if (p == label)
				return false;
			labels++;
			label = p + 1;
		}
		p++;
	}
	if (labels == 0 || p == label || at(t, p) == '_')
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(dns_tlds); k++)
		if (p - label == strlen(dns_tlds[k]) && !strncasecmp(t->s + label, dns_tlds[k], p - label)) {
			m->vstart = i;
			m->vend = m->next = p;
			return true;
		}
	return false;
}

struct matcher {
	enum redact_kind kind;
	bool hosts;   /* only with --redact hosts */
	bool (*match)(const struct text *t, size_t i, struct match *m);
};

/* Tried in this order at each position; the first that matches wins. */
static const struct matcher matchers[] = {
	{ REDACT_URL_CREDENTIALS, false, match_url_credentials },
	{ REDACT_BEARER_TOKEN, false, match_bearer },
	{ REDACT_AWS_ACCESS_KEY, false, match_aws_key },
	{ REDACT_API_TOKEN, false, match_api_token },
	{ REDACT_SECRET_VALUE, false, match_secret_value },
	{ REDACT_MAC, true, match_mac },
	{ REDACT_IPV6, true, match_ipv6 },
	{ REDACT_IPV4, true, match_ipv4 },
};

/* The same value gets the same placeholder in every file. */
static const char *placeholder(struct redactor *rd, enum redact_kind kind, const char *v,
			       size_t len)
{
	struct redact_entry *nm;
	char *low = strndup(v, len), name[64];

	if (!low)
		return REDACT_MARKER;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	for (size_t i = 0; i < rd->nr_map; i++)
		if (!strcmp(rd->map[i].value, low)) {
			free(low);
			return rd->map[i].placeholder;
		}
	nm = realloc(rd->map, (rd->nr_map + 1) * sizeof(*nm));
	if (!nm) {
		free(low);
		return REDACT_MARKER;
	}
	rd->map = nm;
	snprintf(name, sizeof(name), "%s-%zu", placeholder_prefix[kind], ++rd->next_id[kind]);
	nm[rd->nr_map].value = low;
	nm[rd->nr_map].placeholder = strdup(name);
	return nm[rd->nr_map++].placeholder ? nm[rd->nr_map - 1].placeholder : REDACT_MARKER;
}

static bool try_matchers(struct redactor *rd, const struct text *t, size_t i, struct match *m,
			 enum redact_kind *kind)
{
	for (size_t k = 0; k < ARRAY_SIZE(matchers); k++) {
		if (matchers[k].hosts ? !rd->hosts : !rd->secrets)
			continue;
		if (matchers[k].match(t, i, m)) {
			*kind = matchers[k].kind;
			return true;
		}
	}
	if (rd->hosts && match_hostname(rd, t, i, m)) {
		*kind = REDACT_HOSTNAME;
		return true;
	}
	return false;
}

char *redact_text(struct redactor *rd, const char *text, size_t len, size_t *out_len)
{
	struct text t = { text, len };
	struct strbuf sb = { 0 };
	size_t i = 0, copied = 0;
	struct match m;
	enum redact_kind kind;

	sb_appendn(&sb, "", 0);
	while (i < len && (rd->secrets || rd->hosts)) {
		if (!try_matchers(rd, &t, i, &m, &kind)) {
			i++;
			continue;
		}
		sb_appendn(&sb, text + copied, m.vstart - copied);
		if (kind >= REDACT_HOSTNAME)
			sb_append(&sb, placeholder(rd, kind, text + m.vstart, m.vend - m.vstart));
		else
			sb_append(&sb, REDACT_MARKER);
		if (rd->counting)
			rd->counts[kind]++;
		copied = m.vend;
		i = m.next > i ? m.next : i + 1;
	}
	sb_appendn(&sb, text + copied, len - copied);
	return sb_take(&sb, out_len);
}

static json_t *redact_string(struct redactor *rd, const char *s, size_t len)
{
	size_t n;
	char *red = redact_text(rd, s, len, &n);
	json_t *out;

	if (!red)
		return json_stringn(s, len);
	out = json_stringn(red, n);
	free(red);
	return out;
}

static bool is_secret_option(json_t *v)
{
	const char *s = json_string_value(v);

	return s && s[0] == '-' && !strchr(s, '=') && redact_key_is_secret(s, strlen(s));
}

json_t *redact_json(struct redactor *rd, json_t *v)
{
	json_t *out, *item;
	const char *key;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return redact_string(rd, json_string_value(v), json_string_length(v));
	case JSON_ARRAY:
		out = json_array();
		json_array_foreach(v, i, item) {
			/* argv as an array: "--password", "hunter2" */
			if (rd->secrets && i > 0 && is_secret_option(json_array_get(v, i - 1)) &&
			    json_is_string(item)) {
				if (rd->counting)
					rd->counts[REDACT_SECRET_VALUE]++;
				json_array_append_new(out, json_string(REDACT_MARKER));
				continue;
			}
			json_array_append_new(out, redact_json(rd, item));
		}
		return out;
	case JSON_OBJECT:
		out = json_object();
		json_object_foreach(v, key, item) {
			json_t *rkey = redact_string(rd, key, strlen(key));
			const char *k = json_string_value(rkey);

			/* {"DB_PASSWORD": "x"}: an environment kept as an object. A
			 * field named just "key" is a breakdown's key (a device, a
			 * process), not a secret. */
			if (rd->secrets && json_is_string(item) && json_string_length(item) &&
			    strcasecmp(key, "key") && redact_key_is_secret(key, strlen(key)) &&
			    strcmp(json_string_value(item), REDACT_MARKER)) {
				if (rd->counting)
					rd->counts[REDACT_SECRET_VALUE]++;
				json_object_set_new(out, k ? k : key, json_string(REDACT_MARKER));
			} else {
				json_object_set_new(out, k ? k : key, redact_json(rd, item));
			}
			json_decref(rkey);
		}
		return out;
	default:
		return json_incref(v);
	}
}

json_t *redactor_summary(const struct redactor *rd)
{
	json_t *counts = json_object(), *modes = json_array();

	if (rd->secrets)
		json_array_append_new(modes, json_string("secrets"));
	if (rd->hosts)
		json_array_append_new(modes, json_string("hosts"));
	for (int k = 0; k < REDACT_NR_KINDS; k++)
		if ((k < REDACT_HOSTNAME && rd->secrets) || (k >= REDACT_HOSTNAME && rd->hosts))
			json_object_set_new(counts, kind_names[k], json_integer((json_int_t)rd->counts[k]));
	return json_pack("{s:b, s:o, s:o, s:I}", "enabled", rd->secrets || rd->hosts, "modes", modes,
			 "counts", counts, "distinct_hosts_and_addresses", (json_int_t)rd->nr_map);
}
