// check_diff.js: opens a friday diff.html from file:// in headless
// Chromium and checks what a reader relies on: no console error, no
// request leaves the page, one differential flame graph per compared
// profile, a frame whose share fell drawn in blue and one whose share rose
// in red, and the hover text giving both shares.
//
//   node check_diff.js FILE.html --less NAME --more NAME
//
// Prints one JSON object; exits 1 with the reasons when a check fails.
'use strict';
const path = require('path');
const { launch, openPage } = require('./cdp');

const argv = process.argv.slice(2);
const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : null; };
const url = 'file://' + path.resolve(argv[0]);
const less = opt('--less'), more = opt('--more');
const failures = [], out = {};
const check = (ok, what) => { if (!ok) failures.push(what); };

async function waitReady(page) {
	const deadline = Date.now() + 20000;
	while (Date.now() < deadline) {
		if (await page.eval('!!(window.friday && window.friday.ready)')) return;
		await new Promise((r) => setTimeout(r, 25));
	}
	throw new Error('the page script never became ready');
}

// The colour drawn at the middle of the widest frame of that name.
async function colourOf(page, name) {
	return page.eval(`(() => { const g = friday.graphs[0], n = g.find(${JSON.stringify(name)});
		if (n < 0) return null;
		const r = g.rectOf(n);
		scrollTo(0, g.canvas.getBoundingClientRect().top + scrollY + r.y - innerHeight / 2);
		return Array.from(g.canvas.getContext('2d').getImageData((r.x + r.w / 2) * devicePixelRatio,
			(r.y + r.h / 2) * devicePixelRatio, 1, 1).data); })()`);
}

(async () => {
	const browser = launch();
	const timer = setTimeout(() => { console.error('timed out'); browser.close().then(() => process.exit(1)); }, 60000);
	try {
		const page = await openPage(browser);
		await page.navigate(url);
		await waitReady(page);
		out.graphs = await page.eval('friday.graphs.length');
		out.boxes = await page.eval(`document.querySelectorAll('[data-flame]').length`);
		check(out.graphs >= 1 && out.graphs === out.boxes, 'graphs ' + out.graphs + ' for ' + out.boxes + ' boxes');
		const lessPx = await colourOf(page, less), morePx = await colourOf(page, more);
		out.less_rgb = lessPx;
		out.more_rgb = morePx;
		check(lessPx && lessPx[2] > lessPx[0] + 40, less + ' (less) is not blue: ' + lessPx);
		check(morePx && morePx[0] > morePx[2] + 40, more + ' (more) is not red: ' + morePx);
		out.hover = await page.eval(`(() => { const g = friday.graphs[0], r = g.rectOf(g.find(${JSON.stringify(less)})),
			b = g.canvas.getBoundingClientRect();
			g.canvas.onmousemove({ clientX: b.left + r.x + r.w / 2, clientY: b.top + r.y + r.h / 2 });
			return document.querySelector('.fg-hover').textContent; })()`);
		check(/before [0-9.]+%, after [0-9.]+% \(-[0-9.]+ pts\)/.test(out.hover), 'hover text: ' + out.hover);
		const foreign = page.requests.filter((u) => u.split('#')[0] !== url);
		check(foreign.length === 0, 'requests left the page: ' + foreign.join(' '));
		check(page.consoleErrors.length === 0, 'console errors: ' + page.consoleErrors.join(' | '));
	} catch (e) {
		failures.push(String(e && e.stack || e));
	}
	clearTimeout(timer);
	await browser.close();
	console.log(JSON.stringify(out));
	if (failures.length) {
		console.error('FAIL: ' + failures.join('\nFAIL: '));
		process.exit(1);
	}
})();
