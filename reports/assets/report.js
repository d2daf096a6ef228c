/* report.js: the interactive parts of report.html, inlined by the writer:
 * flame graphs drawn on a canvas from compact frame tables (search with the
 * matched share, click to zoom, reset, top functions by self and total),
 * heat maps painted from count matrices. The state lives in the URL hash,
 * so a link reopens the same view. No library, no request. */
(function () {
'use strict';
var D = JSON.parse(document.getElementById('friday-data').textContent);
var ROW = 17, MINW = 0.4;
var F = window.friday = { graphs: [], lastDrawMs: 0, ready: false };

/* ---- URL hash state ---- */
var H = {};
location.hash.slice(1).split('&').forEach(function (kv) {
	var i = kv.indexOf('=');
	if (i > 0) H[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1));
});
function saveHash() {
	var s = Object.keys(H).filter(function (k) { return H[k] !== '' && H[k] != null; })
		.map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(H[k]); }).join('&');
	try { history.replaceState(null, '', s ? '#' + s : location.pathname); }
	catch (e) { location.hash = s; }
}
function el(tag, cls, text) {
	var e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text != null) e.textContent = text;
	return e;
}
function fmt(n) { return n >= 1e6 ? (n / 1e6).toFixed(1) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(n); }
function pct(a, b) { return b ? (100 * a / b).toFixed(a / b < 0.001 ? 3 : 1) + '%' : '0%'; }

/* ---- flame graphs ---- */
function Flame(box, p, gi) {
	var t = p.t, N = t.n.length, i, d;
	var x = new Float64Array(N), end = new Int32Array(N), par = new Int32Array(N);
	var self = new Float64Array(N), stack = [], off = [], maxd = 0;
	for (i = 0; i < N; i++) {
		d = t.d[i];
		while (stack.length > d) end[stack.pop()] = i;
		par[i] = d ? stack[d - 1] : -1;
		x[i] = d ? off[d - 1] : 0;
		if (d) { off[d - 1] += t.v[i]; self[par[i]] -= t.v[i]; }
		self[i] += t.v[i];
		off[d] = x[i];
		stack.push(i);
		if (d > maxd) maxd = d;
	}
	while (stack.length) end[stack.pop()] = N;
	var g = { p: p, t: t, x: x, end: end, par: par, self: self, maxd: maxd, gi: gi,
		zoom: 0, match: null, share: 0, key: 'f' + gi };
	/* warm colours for on-CPU time, blues for blocked time */
	var base = p.kind === 'cpu' ? 0 : 195;
	var colors = t.names.map(function (s) {
		var h = 0;
		for (var k = 0; k < s.length; k++) h = (h * 31 + s.charCodeAt(k)) >>> 0;
		return 'hsl(' + (base + h % 55) + ',' + (base ? 60 + h % 20 : 75 + h % 20) + '%,' +
			((base ? 66 : 52) + (h >> 8) % 12) + '%)';
	});
	/* a differential graph (friday diff): each frame coloured by its
	 * change of share, red for more, blue for less, grey for none */
	var maxd2 = 0;
	if (p.diff) for (i = 0; i < N; i++) maxd2 = Math.max(maxd2, Math.abs(t.a[i] - t.b[i]));
	function colorOf(i) {
		if (!p.diff) return colors[t.n[i]];
		var dd = t.a[i] - t.b[i], f = maxd2 ? Math.min(1, Math.abs(dd) / maxd2) : 0;
		if (Math.abs(dd) < 50) return '#e4e4e4';
		return 'hsl(' + (dd > 0 ? 0 : 215) + ',80%,' + (90 - 45 * Math.sqrt(f)) + '%)';
	}
	var bar = el('div', 'fg-bar');
	var input = el('input'); input.type = 'search'; input.placeholder = 'search (regex)';
	var reset = el('button', null, 'Reset zoom');
	var tbtn = el('button', null, 'Top functions');
	var info = el('span', 'fg-info');
	/* per process: the first frame of every stack is the process */
	var procs = el('select'), kids = [];
	procs.append(el('option', null, 'all processes'));
	for (i = 1; i < N; i = end[i]) kids.push(i);
	kids.sort(function (a, b) { return t.v[b] - t.v[a]; }).slice(0, 50).forEach(function (k) {
		var o = el('option', null, t.names[t.n[k]] + ' (' + pct(t.v[k], t.v[0]) + ')');
		o.value = k;
		procs.append(o);
	});
	procs.onchange = function () { g.zoomTo(+procs.value || 0); };
	bar.append(input, procs, reset, tbtn, info);
	var canvas = el('canvas', 'fg');
	var hover = el('div', 'fg-hover', '\u00a0');
	var table = el('div', 'fg-table');
	box.append(bar, canvas, hover, table);
	var ctx = canvas.getContext('2d');

	function draw() {
		var t0 = performance.now();
		var W = canvas.clientWidth || 800, dpr = window.devicePixelRatio || 1;
		var Hpx = (g.maxd + 1) * ROW;
		if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(Hpx * dpr)) {
			canvas.width = Math.round(W * dpr);
			canvas.height = Math.round(Hpx * dpr);
			canvas.style.height = Hpx + 'px';
		}
		ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
		ctx.clearRect(0, 0, W, Hpx);
		ctx.font = '11px system-ui, sans-serif';
		ctx.textBaseline = 'middle';
		var z = g.zoom, zx = x[z], sc = W / t.v[z], a;
		for (a = par[z]; a >= 0; a = par[a]) box1(a, 0, W, true);
		for (i = z; i < end[z];) {
			var w = t.v[i] * sc;
			if (w < MINW) { i = end[i]; continue; }
			box1(i, (x[i] - zx) * sc, w, false);
			i++;
		}
		F.lastDrawMs = performance.now() - t0;
	}
	/* Root at the top (an icicle): the wide frames stay near the search
	 * bar however deep the stacks are. */
	function box1(i, px, w, dim) {
		var y = t.d[i] * ROW, m = g.match && g.match[t.n[i]];
		ctx.fillStyle = m ? '#d23cd2' : dim ? '#ddd' : colorOf(i);
		ctx.fillRect(px, y, Math.max(w - 0.5, 0.5), ROW - 1);
		if (w > 28) {
			var s = t.names[t.n[i]], max = Math.floor((w - 6) / 6.2);
			ctx.fillStyle = '#111';
			ctx.fillText(s.length > max ? s.slice(0, max - 1) + '\u2026' : s, px + 3, y + ROW / 2);
		}
	}
	/* The node under a point: walk down from the zoomed node. */
	function hit(ev) {
		var r = canvas.getBoundingClientRect(), W = r.width;
		var depth = Math.floor((ev.clientY - r.top) / ROW), z = g.zoom;
		var s = x[z] + (ev.clientX - r.left) / W * t.v[z], cur = z, a;
		if (depth < 0) return -1;
		if (depth < t.d[z]) {
			for (a = par[z]; a >= 0 && t.d[a] !== depth; a = par[a]);
			return a;
		}
		while (t.d[cur] < depth) {
			var c = cur + 1, found = -1;
			while (c < end[cur]) {
				if (s >= x[c] && s < x[c] + t.v[c]) { found = c; break; }
				c = end[c];
			}
			if (found < 0) return -1;
			cur = found;
		}
		return cur;
	}
	g.zoomTo = function (n) {
		g.zoom = n >= 0 && n < N ? n : 0;
		H[g.key + 'z'] = g.zoom ? String(g.zoom) : '';
		saveHash();
		draw();
		return F.lastDrawMs;
	};
	g.search = function (q) {
		input.value = q || '';
		H[g.key + 's'] = q || '';
		saveHash();
		if (!q) { g.match = null; g.share = 0; info.textContent = ''; draw(); return 0; }
		var re;
		try { re = new RegExp(q, 'i'); } catch (e) { re = new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'); }
		g.match = t.names.map(function (s) { return re.test(s); });
		/* the share: matched nodes, not counted again under a matched one */
		var sum = 0;
		for (i = 0; i < N;) {
			if (g.match[t.n[i]] && i) { sum += t.v[i]; i = end[i]; } else i++;
		}
		g.share = t.v[0] ? sum / t.v[0] : 0;
		info.textContent = 'matched: ' + pct(sum, t.v[0]) + ' (' + fmt(sum) + ' of ' + fmt(t.v[0]) + ' ' + (p.unit || 'samples') + ')';
		draw();
		return g.share;
	};
	g.draw = draw;
	/* Where node n is drawn, in CSS pixels of the canvas (for tests). */
	g.rectOf = function (n) {
		var W = canvas.clientWidth, z = g.zoom, sc = W / t.v[z];
		return { x: (x[n] - x[z]) * sc, y: t.d[n] * ROW, w: t.v[n] * sc, h: ROW - 1 };
	};
	/* The widest frame of that name. */
	g.find = function (name) {
		var best = -1;
		for (i = 0; i < N; i++) if (t.names[t.n[i]] === name && (best < 0 || t.v[i] > t.v[best])) best = i;
		return best;
	};
	g.canvas = canvas;
	g.colorOf = colorOf;
	g.topFunctions = function () {
		var selfBy = new Float64Array(t.names.length), totBy = new Float64Array(t.names.length);
		var on = new Int32Array(t.names.length), st = [];
		for (i = 1; i < N; i++) {
			while (st.length >= t.d[i]) on[t.n[st.pop()]]--;
			if (!on[t.n[i]]) totBy[t.n[i]] += t.v[i];
			on[t.n[i]]++;
			st.push(i);
			selfBy[t.n[i]] += self[i];
		}
		var ids = [];
		for (i = 1; i < t.names.length; i++) if (totBy[i] > 0) ids.push(i);
		return { ids: ids, self: selfBy, total: totBy };
	};
	var sortBy = 'self';
	function showTable() {
		var tf = g.topFunctions(), k = tf[sortBy], tot = t.v[0];
		tf.ids.sort(function (a, b) { return k[b] - k[a]; });
		var tb = el('table', 'fg-top'), hr = el('tr');
		[['Function', null], ['Self', 'self'], ['Total', 'total']].forEach(function (c) {
			var th = el('th', null, c[0] + (c[1] === sortBy ? ' \u25be' : ''));
			if (c[1]) th.onclick = function () { sortBy = c[1]; showTable(); };
			hr.append(th);
		});
		tb.append(hr);
		tf.ids.slice(0, 30).forEach(function (id) {
			var tr = el('tr');
			tr.append(el('td', 'fn', t.names[id]), el('td', 'num', pct(tf.self[id], tot)),
				el('td', 'num', pct(tf.total[id], tot)));
			tr.onclick = function () { g.search('^' + t.names[id].replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'); };
			tb.append(tr);
		});
		table.textContent = '';
		table.append(tb);
		H[g.key + 't'] = '1';
		saveHash();
	}
	tbtn.onclick = function () {
		if (table.firstChild) { table.textContent = ''; H[g.key + 't'] = ''; saveHash(); } else showTable();
	};
	reset.onclick = function () { g.zoomTo(0); };
	input.oninput = function () { g.search(input.value); };
	canvas.onclick = function (ev) { var n = hit(ev); if (n >= 0) g.zoomTo(n); };
	canvas.onmousemove = function (ev) {
		var n = hit(ev);
		if (n >= 0 && p.diff) {
			hover.textContent = t.names[t.n[n]] + ': before ' + pct(t.b[n], 1e6) + ', after ' +
				pct(t.a[n], 1e6) + ' (' + (t.a[n] >= t.b[n] ? '+' : '') +
				((t.a[n] - t.b[n]) / 1e4).toFixed(1) + ' pts)';
			return;
		}
		hover.textContent = n < 0 ? '\u00a0' : t.names[t.n[n]] + ': ' + fmt(t.v[n]) + ' ' +
			(p.unit || 'samples') + ', ' + pct(t.v[n], t.v[0]) + ' of all, self ' + pct(self[n], t.v[0]);
	};
	g.zoom = Math.min(+H[g.key + 'z'] || 0, N - 1);
	if (H[g.key + 's']) g.search(H[g.key + 's']); else draw();
	if (H[g.key + 't']) showTable();
	return g;
}

/* ---- heat maps ---- */
function Heat(box, h) {
	var cs = h.counts || [], nx = cs.length, ny = nx ? cs[0].length : 0, max = 0, i, j;
	for (i = 0; i < nx; i++) for (j = 0; j < ny; j++) if (cs[i][j] > max) max = cs[i][j];
	var canvas = el('canvas', 'hm'), hover = el('div', 'fg-hover', '\u00a0');
	box.append(canvas, hover);
	var W = Math.max(box.clientWidth || 800, 300), CH = Math.min(Math.max(ny * 10, 120), 320);
	var dpr = window.devicePixelRatio || 1, L = 70, B = 18;
	canvas.width = W * dpr; canvas.height = (CH + B) * dpr;
	canvas.style.height = (CH + B) + 'px';
	var c = canvas.getContext('2d');
	c.setTransform(dpr, 0, 0, dpr, 0, 0);
	c.font = '10px system-ui, sans-serif';
	var cw = (W - L) / Math.max(nx, 1), ch = CH / Math.max(ny, 1);
	for (i = 0; i < nx; i++) for (j = 0; j < ny; j++) {
		var v = cs[i][j];
		if (!v) continue;
		var f = Math.log(1 + v) / Math.log(1 + max);
		c.fillStyle = 'hsl(' + (20 - 20 * f) + ',85%,' + (92 - 55 * f) + '%)';
		c.fillRect(L + i * cw, CH - (j + 1) * ch, Math.ceil(cw), Math.ceil(ch));
	}
	c.fillStyle = '#333';
	var ys = h.y || [], xs = h.x || [], step = Math.max(1, Math.ceil(ny / 8));
	for (j = 0; j < ny; j += step) c.fillText(String(ys[j]) + ' ' + (h.y_unit || ''), 2, CH - j * ch - 2);
	step = Math.max(1, Math.ceil(nx / 8));
	for (i = 0; i < nx; i += step) c.fillText(String(xs[i]) + (h.x_unit || ''), L + i * cw, CH + 12);
	canvas.onmousemove = function (ev) {
		var r = canvas.getBoundingClientRect();
		var xi = Math.floor((ev.clientX - r.left - L) / cw), yi = Math.floor((CH - (ev.clientY - r.top)) / ch);
		hover.textContent = xi >= 0 && xi < nx && yi >= 0 && yi < ny ?
			'x ' + xs[xi] + (h.x_unit || '') + ', y ' + ys[yi] + ' ' + (h.y_unit || '') + ': ' + cs[xi][yi] : '\u00a0';
	};
}

var t0 = performance.now();
document.querySelectorAll('[data-flame]').forEach(function (box) {
	var gi = +box.getAttribute('data-flame');
	F.graphs[gi] = Flame(box, D.profiles[gi], gi);
});
document.querySelectorAll('[data-heat]').forEach(function (box) {
	Heat(box, D.heatmaps[+box.getAttribute('data-heat')]);
});
window.addEventListener('resize', function () { F.graphs.forEach(function (g) { g.draw(); }); });
window.addEventListener('beforeprint', function () { F.graphs.forEach(function (g) { g.draw(); }); });
F.initMs = performance.now() - t0;
F.readyMs = performance.now();   /* since navigation start */
F.ready = true;
})();
