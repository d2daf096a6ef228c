// check_page.js: opens a friday report.html from file:// in headless
// Chromium and checks what a reader relies on: no console error, no request
// leaves the page, the verdict tiles and the findings match report.json,
// and (with --needle) a flame graph search highlights the expected frame
// with the right share, a click zooms, the URL keeps the view.
//
//   node check_page.js DIR [--needle NAME] [--screenshot FILE] [--bench N]
//
// DIR holds report.html and report.json (an unpacked archive). Prints one
// JSON object of measurements; exits 1 with the reasons when a check fails.
'use strict';
const fs = require('fs');
const path = require('path');
const { launch, openPage } = require('./cdp');

const argv = process.argv.slice(2);
const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : null; };
const dir = path.resolve(argv[0]);
const needle = opt('--needle'), shotFile = opt('--screenshot'), benchRuns = +(opt('--bench') || 0);
const report = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
const url = 'file://' + path.join(dir, 'report.html');
const failures = [], out = {};
const check = (ok, what) => { if (!ok) failures.push(what); };
const SEVERITY = { critical: 2, warning: 1, info: 0 };

// The page's script sets friday.ready at its end; a loaded machine may
// take seconds, so wait up to 20 s (the load budget is checked apart).
async function waitReady(page) {
	const deadline = Date.now() + 20000;
	while (Date.now() < deadline) {
		if (await page.eval('!!(window.friday && window.friday.ready)')) return;
		await new Promise((r) => setTimeout(r, 25));
	}
	throw new Error('the page script never became ready');
}

function expectedFindings() {
	return report.findings.map((f, i) => ({ f, i }))
		.sort((a, b) => (SEVERITY[b.f.severity] - SEVERITY[a.f.severity]) || a.i - b.i)
		.map((x) => x.f.id + '/' + x.f.severity);
}

async function checkVerdicts(page) {
	const tiles = await page.eval(`[...document.querySelectorAll('#verdict [data-subsystem]')]
		.map(t => t.dataset.subsystem + '=' + t.dataset.verdict)`);
	const want = ['cpu', 'memory', 'disk', 'network', 'locks', 'syscalls', 'processes', 'filesystem']
		.map((s) => { const h = report.health.find((x) => x.subsystem === s); return s + '=' + (h ? h.verdict : 'unknown'); });
	check(JSON.stringify(tiles) === JSON.stringify(want), 'tiles ' + tiles + ' differ from report.json ' + want);
	const shown = await page.eval(`[...document.querySelectorAll('#findings .finding')]
		.map(f => f.dataset.id + '/' + f.dataset.severity)`);
	const exp = expectedFindings();
	check(JSON.stringify(shown) === JSON.stringify(exp), 'findings ' + shown + ' differ from report.json ' + exp);
	const top = await page.eval(`[...document.querySelectorAll('#top3 li')].map(l => l.dataset.id)`);
	check(JSON.stringify(top) === JSON.stringify(exp.slice(0, 3).map((s) => s.split('/')[0])),
		'top findings ' + top + ' are not the three most severe');
	out.tiles = tiles.length;
	out.findings = shown.length;
}

// The needle's share from the folded file itself, not from the page.
function expectedShare(profile) {
	const text = fs.readFileSync(path.join(dir, profile.folded), 'utf8');
	let total = 0, hit = 0;
	for (const line of text.split('\n')) {
		const sp = line.lastIndexOf(' ');
		if (sp <= 0) continue;
		const n = +line.slice(sp + 1);
		total += n;
		if (line.slice(0, sp).split(';').slice(1).includes(needle)) hit += n;
	}
	return total ? hit / total : 0;
}

async function pixelAt(page, gi, px, py) {
	return page.eval(`Array.from(friday.graphs[${gi}].canvas.getContext('2d')
		.getImageData(${px} * devicePixelRatio, ${py} * devicePixelRatio, 1, 1).data)`);
}

async function clickNode(page, node) {
	const at = await page.eval(`(() => { const g = friday.graphs[0], r = g.rectOf(${node});
		/* deep stacks make a tall canvas: bring the frame into the viewport */
		scrollTo(0, g.canvas.getBoundingClientRect().top + scrollY + r.y - innerHeight / 2);
		const b = g.canvas.getBoundingClientRect();
		return { x: b.left + r.x + Math.min(r.w / 2, 20), y: b.top + r.y + r.h / 2 }; })()`);
	const t0 = Date.now();
	await page.click(at.x, at.y);
	await page.eval('new Promise(r => requestAnimationFrame(r))');
	return Date.now() - t0;
}

async function checkFlame(page) {
	const re = '^' + needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$';
	const share = await page.eval(`friday.graphs[0].search(${JSON.stringify(re)})`);
	const want = expectedShare(report.profiles[0]);
	check(want > 0 && Math.abs(share - want) < 1e-9, `search share ${share} != ${want} from the folded file`);
	const node = await page.eval(`friday.graphs[0].find(${JSON.stringify(needle)})`);
	check(node > 0, 'the needle frame is not in the frame table');
	const r = await page.eval(`friday.graphs[0].rectOf(${node})`);
	const px = await pixelAt(page, 0, r.x + 1, r.y + 1);
	check(px[0] > 180 && px[1] < 90 && px[2] > 180, 'the matched frame is not highlighted: pixel ' + px);
	const info = await page.eval(`document.querySelector('.fg-info').textContent`);
	check(info.includes((100 * want).toFixed(1) + '%'), 'matched share text "' + info + '"');
	await clickNode(page, node);
	check(await page.eval('friday.graphs[0].zoom') === node, 'a click did not zoom to the frame');
	check(await page.eval('location.hash').then((h) => h.includes('f0z=' + node)), 'the zoom is not in the URL');
	const hash = await page.eval('location.hash');
	await page.eval(`document.querySelector('.fg-bar button').click()`);
	check(await page.eval('friday.graphs[0].zoom') === 0, 'Reset did not go back to the root');
	await page.eval(`document.querySelectorAll('.fg-bar button')[1].click()`);
	const rows = await page.eval(`document.querySelectorAll('.fg-top tr').length`);
	check(rows > 5, 'the top functions table has ' + rows + ' rows');
	// Reopened from the URL, the page shows the same view.
	await page.navigate('about:blank');
	await page.navigate(url + hash);
	await waitReady(page);
	check(await page.eval('friday.graphs[0].zoom') === node, 'the URL did not restore the zoom');
	check(Math.abs(await page.eval('friday.graphs[0].share') - want) < 1e-9, 'the URL did not restore the search');
	out.needle_share = want;
}

// Zooms into the widest frames at increasing depth, then back to the root.
async function bench(page) {
	const nodes = await page.eval(`(() => { const g = friday.graphs[0], t = g.t, seen = [];
		for (let d = 2; d < 40 && seen.length < ${benchRuns}; d += 3) {
			let best = -1; for (let i = 0; i < t.n.length; i++)
				if (t.d[i] === d && (best < 0 || t.v[i] > t.v[best])) best = i;
			if (best > 0) seen.push(best); }
		return seen; })()`);
	const draws = [], clicks = [];
	await page.eval(`friday.graphs[0].search('')`);
	for (const n of nodes) {
		await page.eval('friday.graphs[0].zoomTo(0)');
		clicks.push(await clickNode(page, n));
		draws.push(await page.eval('friday.lastDrawMs'));
	}
	draws.push(await page.eval('friday.graphs[0].zoomTo(0)'));
	out.frames = await page.eval('friday.graphs[0].t.n.length');
	out.zoom_draw_ms_max = Math.max(...draws);
	out.zoom_draw_ms_median = draws.sort((a, b) => a - b)[draws.length >> 1];
	out.zoom_click_to_frame_ms_max = Math.max(...clicks);
	check(out.zoom_draw_ms_max < 100, 'a zoom redraw took ' + out.zoom_draw_ms_max + ' ms');
	check(out.zoom_click_to_frame_ms_max < 100, 'a click to the next frame took ' + out.zoom_click_to_frame_ms_max + ' ms');
}

(async () => {
	const browser = launch();
	const timer = setTimeout(() => { console.error('timed out'); browser.close().then(() => process.exit(1)); }, 60000);
	try {
		const page = await openPage(browser);
		const t0 = Date.now();
		await page.navigate(url);
		await waitReady(page);
		out.load_wall_ms = Date.now() - t0;
		out.load_ready_ms = Math.round(await page.eval('friday.readyMs'));
		out.script_init_ms = Math.round(await page.eval('friday.initMs'));
		out.html_bytes = fs.statSync(path.join(dir, 'report.html')).size;
		await checkVerdicts(page);
		if (needle) await checkFlame(page);
		if (benchRuns) {
			check(out.load_ready_ms < 2000, 'the page took ' + out.load_ready_ms + ' ms to be ready');
			await bench(page);
		}
		if (shotFile) {
			await page.eval('scrollTo(0, 0)');
			await page.screenshot(shotFile);
		}
		const foreign = page.requests.filter((u) => u.split('#')[0] !== url);
		check(foreign.length === 0, 'requests left the page: ' + foreign.join(' '));
		check(page.consoleErrors.length === 0, 'console errors: ' + page.consoleErrors.join(' | '));
		out.requests = page.requests.length;
		out.console_errors = page.consoleErrors.length;
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
