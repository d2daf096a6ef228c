/* flamegraph.c: the SVG flame graph writer (see flamegraph.h). The folded
 * lines become a tree of frames (children found through one hash map keyed
 * by parent and name), laid out root at the bottom with children in name
 * order as flamegraph.pl does, and written with the script that zooms and
 * searches. One pass over the input, one over the tree. */
#include "reports/flamegraph.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/stackfold.h"
#include "lib/strbuf.h"
#include "lib/u64map.h"

#define FRAME_H 16
#define FONT_PX 12
#define FONT_W 0.59
#define XPAD 10
#define TOP_PAD 60
#define BOTTOM_PAD 34
#define MAX_PATH 1024      /* deeper stacks take the hash-map path */

struct fnode {
	const char *name;
	uint32_t name_len;
	uint32_t parent, first_child, next_sibling;   /* 0: none (node 0 is the root) */
	uint64_t value;
};

struct ftree {
	struct fnode *v;
	size_t n, cap;
	struct u64map children;    /* (parent, hash of name) -> node index + 1 */
	int max_depth;
};

static struct fnode *new_child(struct ftree *t, uint32_t parent, const char *name, uint32_t len);

static int64_t add_node(struct ftree *t, uint32_t parent, const char *name, uint32_t len)
{
	uint64_t h = hash_bytes(name, len);
	uintptr_t found = (uintptr_t)u64map_get(&t->children, parent, h);
	struct fnode *nd;

	if (found) {
		nd = &t->v[found - 1];
		if (nd->name_len == len && !memcmp(nd->name, name, len))
			return (int64_t)(found - 1);
		/* A 64-bit hash collision: find it among the children. */
		for (uint32_t c = t->v[parent].first_child; c; c = t->v[c].next_sibling)
			if (t->v[c].name_len == len && !memcmp(t->v[c].name, name, len))
				return c;
	}
	if (!new_child(t, parent, name, len))
		return -ENOMEM;
	if (!found && u64map_put(&t->children, parent, h, (void *)(uintptr_t)t->n))
		return -ENOMEM;
	return (int64_t)(t->n - 1);
}

static struct fnode *new_child(struct ftree *t, uint32_t parent, const char *name, uint32_t len)
{
	struct fnode *nd;

	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 4096;
		struct fnode *nv = realloc(t->v, ncap * sizeof(*nv));

		if (!nv)
			return NULL;
		t->v = nv;
		t->cap = ncap;
	}
	nd = &t->v[t->n];
	*nd = (struct fnode){ .name = name, .name_len = len, .parent = parent,
			      .next_sibling = t->v[parent].first_child };
	t->v[parent].first_child = (uint32_t)t->n++;
	return nd;
}

/* -1, 0, 1 as frame a sorts before, with or after frame b. */
static int frame_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/* The previous line's path, for inputs sorted frame by frame. */
struct path {
	uint32_t node[MAX_PATH];
	const char *name[MAX_PATH];
	uint32_t len[MAX_PATH];
	int depth;
};

/* Adds one line (frames f..stack_end) to the tree. With a path (sorted
 * mode), frames equal to the previous line's reuse its nodes and the rest
 * are new: in input sorted frame by frame, the lines through a node are
 * contiguous, so no earlier node can match. Returns -EAGAIN when the line
 * sorts before the previous one (the caller falls back to the hash map). */
static int add_line(struct ftree *t, struct path *pp, const char *f, const char *stack_end,
		    uint64_t value)
{
	uint32_t node = 0;
	bool same = pp != NULL;
	int depth = 0;

	t->v[0].value += value;
	for (; f < stack_end; depth++) {
		const char *semi = memchr(f, ';', (size_t)(stack_end - f));
		uint32_t len;

		if (!semi)
			semi = stack_end;
		len = (uint32_t)(semi - f);
		if (!pp) {
			int64_t id = add_node(t, node, f, len);

			if (id < 0)
				return (int)id;
			node = (uint32_t)id;
		} else {
			if (depth >= MAX_PATH)
				return -EAGAIN;
			if (same && depth < pp->depth) {
				int c = frame_cmp(f, len, pp->name[depth], pp->len[depth]);

				if (c < 0)
					return -EAGAIN;
				same = c == 0;
			} else {
				same = false;
			}
			if (same) {
				node = pp->node[depth];
			} else {
				if (!new_child(t, node, f, len))
					return -ENOMEM;
				node = (uint32_t)(t->n - 1);
			}
			pp->node[depth] = node;
			pp->name[depth] = f;
			pp->len[depth] = len;
		}
		t->v[node].value += value;
		f = semi + 1;
	}
	/* A line equal to the previous one, or its prefix, is out of order
	 * too: sorted input has each stack once, after its prefixes. */
	if (pp && same && depth <= pp->depth)
		return -EAGAIN;
	if (pp)
		pp->depth = depth;
	if (depth > t->max_depth)
		t->max_depth = depth;
	return 0;
}

/* Builds the tree; sorted says whether to try the sorted mode. */
static int build_tree_mode(struct ftree *t, const char *folded, size_t len, bool sorted)
{
	const char *p = folded, *end = folded + len;
	struct path *pp = NULL;
	int err = 0;

	t->cap = 4096;
	t->v = calloc(t->cap, sizeof(*t->v));
	if (!t->v)
		return -ENOMEM;
	if (sorted && !(pp = calloc(1, sizeof(*pp))))
		return -ENOMEM;
	t->n = 1;
	t->v[0].name = "all";
	t->v[0].name_len = 3;
	while (!err && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t stack_len;
		uint64_t value;

		if (!eol)
			eol = end;
		if (fold_parse_line(p, (size_t)(eol - p), &stack_len, &value) && value)
			err = add_line(t, pp, p, p + stack_len, value);
		p = eol + 1;
	}
	free(pp);
	return err;
}

/* Sorted input (what friday writes) is merged along the previous line's
 * path with no hash map: three times faster on 100k stacks; other input
 * falls back to the map keyed by parent and name. */
static int build_tree(struct ftree *t, const char *folded, size_t len)
{
	int err = build_tree_mode(t, folded, len, true);

	if (err != -EAGAIN)
		return err;
	free(t->v);
	*t = (struct ftree){ 0 };
	return build_tree_mode(t, folded, len, false);
}

/* ---- colours ---- */

static double name_hash01(const char *name, uint32_t len, int salt)
{
	uint64_t h = hash_bytes(name, len) ^ (uint64_t)salt * 0x9e3779b97f4a7c15ull;

	return (double)(hash_u64(h) % 1000) / 1000.0;
}

static bool ends_with(const char *s, uint32_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

static void frame_colour(const struct fnode *nd, enum flame_palette pal, int rgb[3])
{
	double v1 = name_hash01(nd->name, nd->name_len, 1), v2 = name_hash01(nd->name, nd->name_len, 2);

	if (pal == FLAME_BLUE) {
		rgb[0] = 80 + (int)(60 * v1);
		rgb[1] = rgb[0];
		rgb[2] = 190 + (int)(55 * v2);
	} else if (ends_with(nd->name, nd->name_len, "_[k]")) {
		rgb[0] = 230 + (int)(25 * v1);
		rgb[1] = 120 + (int)(60 * v2);
		rgb[2] = 30 + (int)(20 * v1);
	} else if (ends_with(nd->name, nd->name_len, "_[i]")) {
		rgb[0] = 80 + (int)(50 * v1);
		rgb[1] = 190 + (int)(50 * v2);
		rgb[2] = 190 + (int)(50 * v2);
	} else {
		rgb[0] = 205 + (int)(50 * v2);
		rgb[1] = (int)(230 * v1);
		rgb[2] = (int)(55 * v2);
	}
	if (nd->name_len && nd->name[0] == '[') {   /* friday's markers: grey */
		rgb[0] = rgb[1] = rgb[2] = 160 + (int)(40 * v1);
	}
}

/* ---- the document ---- */

static const char svg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"'use strict';\n"
	"var svg, details, matchedtxt, searchbtn, unzoombtn, W, XPAD = " "10" ", FW = 0.59, FS = 12;\n"
	"function init(evt) {\n"
	"  svg = document.documentElement; details = document.getElementById('details').firstChild;\n"
	"  matchedtxt = document.getElementById('matched'); searchbtn = document.getElementById('search');\n"
	"  unzoombtn = document.getElementById('unzoom'); W = +svg.getAttribute('width');\n"
	"  svg.addEventListener('click', function (e) { var g = frameOf(e.target);\n"
	"    if (g) { zoom(g); } });\n"
	"  svg.addEventListener('mouseover', function (e) { var g = frameOf(e.target);\n"
	"    if (g) details.nodeValue = g.querySelector('title').textContent; });\n"
	"  svg.addEventListener('mouseout', function () { details.nodeValue = ' '; });\n"
	"  window.addEventListener('keydown', function (e) {\n"
	"    if (e.ctrlKey && e.keyCode === 70) { e.preventDefault(); search_prompt(); } });\n"
	"  searchbtn.addEventListener('click', search_prompt);\n"
	"  unzoombtn.addEventListener('click', unzoom);\n"
	"}\n"
	"function frameOf(el) { while (el && el.nodeName !== 'svg') {\n"
	"  if (el.nodeName === 'g' && el.hasAttribute('fx')) return el; el = el.parentNode; }\n"
	"  return null; }\n"
	"function name(g) { return g.getAttribute('fn'); }\n"
	"function fit(g, w) { var t = g.querySelector('text'), n = name(g), c = Math.floor((w - 3) / (FS * FW));\n"
	"  if (c < 3) { t.textContent = ''; return; }\n"
	"  t.textContent = n.length > c ? n.substring(0, c - 2) + '..' : n; }\n"
	"function place(g, x, w) { var r = g.querySelector('rect'), t = g.querySelector('text');\n"
	"  r.setAttribute('x', x); r.setAttribute('width', Math.max(w, 0)); t.setAttribute('x', x + 3); fit(g, w); }\n"
	"function frames() { return document.querySelectorAll('#frames > g'); }\n"
	"function zoom(node) {\n"
	"  var x0 = +node.getAttribute('fx'), w0 = +node.getAttribute('fw'), y0 = +node.getAttribute('fy');\n"
	"  var ratio = (W - 2 * XPAD) / w0, all = frames();\n"
	"  unzoombtn.classList.remove('hide');\n"
	"  for (var i = 0; i < all.length; i++) { var g = all[i], x = +g.getAttribute('fx'),\n"
	"      w = +g.getAttribute('fw'), y = +g.getAttribute('fy');\n"
	"    g.classList.remove('hide'); g.classList.remove('parent');\n"
	"    if (y > y0 && x <= x0 + 1e-6 && x + w >= x0 + w0 - 1e-6) {\n"
	"      g.classList.add('parent'); place(g, XPAD, W - 2 * XPAD);\n"
	"    } else if (y <= y0 && x >= x0 - 1e-6 && x + w <= x0 + w0 + 1e-6) {\n"
	"      place(g, XPAD + (x - x0) * ratio, w * ratio);\n"
	"    } else { g.classList.add('hide'); } }\n"
	"  search_again(); }\n"
	"function unzoom() { var all = frames(); unzoombtn.classList.add('hide');\n"
	"  for (var i = 0; i < all.length; i++) { var g = all[i];\n"
	"    g.classList.remove('hide'); g.classList.remove('parent');\n"
	"    place(g, +g.getAttribute('fx'), +g.getAttribute('fw')); }\n"
	"  search_again(); }\n"
	"var current_re = null;\n"
	"function search_prompt() { if (current_re) { reset_search(); return; }\n"
	"  var term = prompt('Search frames (regular expression):', '');\n"
	"  if (term) search(term); }\n"
	"function reset_search() { var all = frames(); current_re = null;\n"
	"  for (var i = 0; i < all.length; i++) { var r = all[i].querySelector('rect');\n"
	"    r.setAttribute('fill', r.getAttribute('of')); }\n"
	"  searchbtn.classList.remove('show'); searchbtn.firstChild.nodeValue = 'Search';\n"
	"  matchedtxt.classList.add('hide'); }\n"
	"function search_again() { if (current_re) search(current_re); }\n"
	"function search(term) { var re; try { re = new RegExp(term); } catch (e) { alert(e); return; }\n"
	"  current_re = term; var all = frames(), spans = [], total = 0, root = null;\n"
	"  for (var i = 0; i < all.length; i++) { var g = all[i], r = g.querySelector('rect');\n"
	"    if (!r.hasAttribute('of')) r.setAttribute('of', r.getAttribute('fill'));\n"
	"    if (g.getAttribute('fy') == document.getElementById('frames').getAttribute('rooty')) root = g;\n"
	"    if (g.classList.contains('hide') || !re.test(name(g))) { r.setAttribute('fill', r.getAttribute('of')); continue; }\n"
	"    r.setAttribute('fill', 'rgb(230,0,230)');\n"
	"    spans.push([+r.getAttribute('x'), +r.getAttribute('width')]); }\n"
	"  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
	"  var end = -1; for (var j = 0; j < spans.length; j++) { var s = spans[j][0], e = s + spans[j][1];\n"
	"    if (e <= end) continue; total += e - Math.max(s, end); end = e; }\n"
	"  searchbtn.classList.add('show'); searchbtn.firstChild.nodeValue = 'Reset Search';\n"
	"  matchedtxt.classList.remove('hide');\n"
	"  matchedtxt.firstChild.nodeValue = 'Matched: ' + (100 * total / (W - 2 * XPAD)).toFixed(1) + '%'; }\n"
	"]]></script>\n";

struct render {
	struct strbuf sb;
	const struct ftree *t;
	const struct flame_opts *o;
	double scale;              /* px per unit */
	int height;
	uint64_t total;
};

static int child_cmp(const void *a, const void *b)
{
	const struct fnode *x = *(const struct fnode *const *)a, *y = *(const struct fnode *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (int)x->name_len - (int)y->name_len;
}

static void emit_frame(struct render *rd, const struct fnode *nd, double x, int depth)
{
	double w = nd->value * rd->scale;
	int y = rd->height - BOTTOM_PAD - (depth + 1) * FRAME_H, rgb[3];
	int chars = (int)((w - 3) / (FONT_PX * FONT_W));
	char name[1024];
	int nlen = nd->name_len < sizeof(name) - 1 ? (int)nd->name_len : (int)sizeof(name) - 1;

	memcpy(name, nd->name, (size_t)nlen);
	name[nlen] = '\0';
	frame_colour(nd, rd->o->palette, rgb);
	sb_printf(&rd->sb, "<g fx=\"%.2f\" fw=\"%.2f\" fy=\"%d\" fn=\"", x, w, y);
	sb_html(&rd->sb, name);
	sb_append(&rd->sb, "\"><title>");
	sb_html(&rd->sb, name);
	sb_printf(&rd->sb, " (%llu %s, %.2f%%)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
		  "height=\"%d\" fill=\"rgb(%d,%d,%d)\" rx=\"2\" ry=\"2\"/><text x=\"%.2f\" y=\"%.1f\">",
		  (unsigned long long)nd->value, rd->o->unit ? rd->o->unit : "samples",
		  rd->total ? 100.0 * nd->value / rd->total : 0.0, x, y, w, FRAME_H - 1,
		  rgb[0], rgb[1], rgb[2], x + 3, y + 10.5);
	if (chars >= 3) {
		if (nlen > chars) {
			name[chars - 2] = '.';
			name[chars - 1] = '.';
			name[chars] = '\0';
		}
		sb_html(&rd->sb, name);
	}
	sb_append(&rd->sb, "</text></g>\n");
}

/* Lays out node's children left to right in name order, depth first. */
static int emit_children(struct render *rd, uint32_t node, double x, int depth)
{
	const struct ftree *t = rd->t;
	const struct fnode *kids_small[64], **kids = kids_small;
	size_t n = 0, cap = 64;
	int err = 0;

	for (uint32_t c = t->v[node].first_child; c; c = t->v[c].next_sibling) {
		if (t->v[c].value * rd->scale < rd->o->min_width_px)
			continue;
		if (n == cap) {
			const struct fnode **nv = malloc(cap * 2 * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			memcpy(nv, kids, n * sizeof(*nv));
			if (kids != kids_small)
				free(kids);
			kids = nv;
			cap *= 2;
		}
		kids[n++] = &t->v[c];
	}
	qsort(kids, n, sizeof(*kids), child_cmp);
	for (size_t i = 0; !err && i < n; i++) {
		emit_frame(rd, kids[i], x, depth);
		err = emit_children(rd, (uint32_t)(kids[i] - t->v), x, depth + 1);
		x += kids[i]->value * rd->scale;
	}
	if (kids != kids_small)
		free(kids);
	return err;
}

static void emit_header(struct render *rd, int width)
{
	const struct flame_opts *o = rd->o;
	bool blue = o->palette == FLAME_BLUE;

	sb_printf(&rd->sb, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
		  "<svg version=\"1.1\" width=\"%d\" height=\"%d\" onload=\"init(evt)\" "
		  "viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\">\n"
		  "<!-- Flame graph by friday; layout and colours after Brendan Gregg's flamegraph.pl -->\n"
		  "<defs><linearGradient id=\"background\" y1=\"0\" y2=\"1\" x1=\"0\" x2=\"0\">"
		  "<stop stop-color=\"%s\" offset=\"5%%\"/><stop stop-color=\"%s\" offset=\"95%%\"/>"
		  "</linearGradient></defs>\n<style type=\"text/css\">\n"
		  "text{font-family:Verdana,sans-serif;font-size:%dpx;fill:rgb(0,0,0)}\n"
		  "#frames > g:hover rect{stroke:black;stroke-width:0.5;cursor:pointer}\n"
		  "#title{text-anchor:middle;font-size:17px}#search,#unzoom{cursor:pointer}\n"
		  ".hide{display:none}.parent{opacity:0.5}#search.show{opacity:1}\n"
		  "</style>\n", width, rd->height, width, rd->height,
		  blue ? "#eeeeee" : "#eeeeee", blue ? "#e0e0ff" : "#eeeeb0", FONT_PX);
	sb_append(&rd->sb, svg_script);
	sb_printf(&rd->sb, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"url(#background)\"/>\n"
		  "<text id=\"title\" x=\"%d\" y=\"24\">", width, rd->height, width / 2);
	sb_html(&rd->sb, o->title ? o->title : "Flame Graph");
	sb_printf(&rd->sb, "</text>\n<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
		  "<text id=\"unzoom\" class=\"hide\" x=\"%d\" y=\"24\">Reset Zoom</text>\n"
		  "<text id=\"search\" x=\"%d\" y=\"24\">Search</text>\n"
		  "<text id=\"matched\" class=\"hide\" x=\"%d\" y=\"%d\"> </text>\n",
		  XPAD, rd->height - 17, XPAD, width - XPAD - 100, width - XPAD - 100, rd->height - 17);
}

/* The depth of the deepest frame wide enough to be drawn. */
static int drawn_depth(const struct render *rd, uint32_t node)
{
	int best = 0;

	for (uint32_t c = rd->t->v[node].first_child; c; c = rd->t->v[c].next_sibling)
		if (rd->t->v[c].value * rd->scale >= rd->o->min_width_px) {
			int d = 1 + drawn_depth(rd, c);

			if (d > best)
				best = d;
		}
	return best;
}

char *flamegraph_svg(const char *folded, size_t len, const struct flame_opts *o, size_t *out_len)
{
	struct ftree t = { 0 };
	struct render rd = { .o = o, .t = &t };
	int width = o->width_px > 0 ? o->width_px : 1200;
	struct flame_opts defaults = *o;
	char *out = NULL;

	if (defaults.min_width_px <= 0)
		defaults.min_width_px = 0.1;
	rd.o = &defaults;
	if (build_tree(&t, folded, len))
		goto out;
	rd.total = t.v[0].value;
	rd.scale = rd.total ? (double)(width - 2 * XPAD) / (double)rd.total : 0;
	rd.height = (drawn_depth(&rd, 0) + 1) * FRAME_H + TOP_PAD + BOTTOM_PAD;
	emit_header(&rd, width);
	sb_printf(&rd.sb, "<g id=\"frames\" rooty=\"%d\">\n", rd.height - BOTTOM_PAD - FRAME_H);
	if (rd.total) {
		emit_frame(&rd, &t.v[0], XPAD, 0);
		if (emit_children(&rd, 0, XPAD, 1))
			goto out;
	}
	sb_append(&rd.sb, "</g>\n");
	if (!rd.total)
		sb_printf(&rd.sb, "<text x=\"%d\" y=\"%d\">No stacks were recorded in this window.</text>\n",
			  XPAD, TOP_PAD);
	sb_append(&rd.sb, "</svg>\n");
	out = sb_take(&rd.sb, out_len);
out:
	sb_free(&rd.sb);
	u64map_free(&t.children, NULL);
	free(t.v);
	return out;
}
