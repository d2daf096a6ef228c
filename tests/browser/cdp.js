// cdp.js: starts headless Chromium (Debian's package) and drives it over
// the DevTools protocol on a pipe (--remote-debugging-pipe: fd 3 to the
// browser, fd 4 from it), so the tests need no port, no network and no npm
// package. Messages are JSON, each ended by a NUL byte.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function launch() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'friday-h-chromium-'));
	const exe = process.env.CHROMIUM || '/usr/bin/chromium';
	const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run',
		'--disable-default-apps', '--mute-audio', '--hide-scrollbars',
		'--user-data-dir=' + profile, '--remote-debugging-pipe', 'about:blank'];
	const proc = spawn(exe, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
	const toBrowser = proc.stdio[3], fromBrowser = proc.stdio[4];
	const pending = new Map(), listeners = [];
	let buf = '', lastId = 0;

	fromBrowser.setEncoding('utf8');
	fromBrowser.on('data', (chunk) => {
		buf += chunk;
		let nul;
		while ((nul = buf.indexOf('\0')) >= 0) {
			const msg = JSON.parse(buf.slice(0, nul));
			buf = buf.slice(nul + 1);
			if (msg.id && pending.has(msg.id)) {
				const p = pending.get(msg.id);
				pending.delete(msg.id);
				if (msg.error) p.reject(new Error(p.method + ': ' + msg.error.message));
				else p.resolve(msg.result);
			} else {
				listeners.forEach((l) => l(msg));
			}
		}
	});
	function send(method, params, sessionId) {
		return new Promise((resolve, reject) => {
			const msg = { id: ++lastId, method, params: params || {} };
			if (sessionId) msg.sessionId = sessionId;
			pending.set(msg.id, { resolve, reject, method });
			toBrowser.write(JSON.stringify(msg) + '\0');
		});
	}
	function on(fn) { listeners.push(fn); }
	// Asks the browser to close (its helper processes go with it), kills
	// it after 3 s, then removes its profile directory.
	async function close() {
		const gone = proc.exitCode !== null ? Promise.resolve() :
			new Promise((resolve) => proc.once('exit', resolve));
		const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
		send('Browser.close').catch(() => {});
		const killer = setTimeout(() => { try { proc.kill('SIGKILL'); } catch (e) { /* gone */ } }, 3000);
		await gone;
		clearTimeout(killer);
		for (let i = 0; i < 20; i++) {
			try { fs.rmSync(profile, { recursive: true, force: true }); return; }
			catch (e) { await sleep(100); }
		}
	}
	return { send, on, close, proc };
}

// A page in its own target, with the events a test wants recorded.
async function openPage(browser, width, height) {
	const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
	const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
	const page = {
		consoleErrors: [], requests: [], loaded: null,
		send: (m, p) => browser.send(m, p, sessionId),
	};
	let onLoad;
	browser.on((msg) => {
		if (msg.sessionId !== sessionId) return;
		const p = msg.params;
		if (msg.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert'))
			page.consoleErrors.push(p.args.map((a) => a.value || a.description).join(' '));
		else if (msg.method === 'Runtime.exceptionThrown')
			page.consoleErrors.push(p.exceptionDetails.text + ' ' +
				(p.exceptionDetails.exception ? p.exceptionDetails.exception.description : ''));
		else if (msg.method === 'Log.entryAdded' && p.entry.level === 'error')
			page.consoleErrors.push(p.entry.source + ': ' + p.entry.text);
		else if (msg.method === 'Network.requestWillBeSent')
			page.requests.push(p.request.url);
		else if (msg.method === 'Page.loadEventFired' && onLoad)
			onLoad();
	});
	for (const d of ['Runtime', 'Log', 'Network', 'Page'])
		await page.send(d + '.enable');
	await page.send('Emulation.setDeviceMetricsOverride',
		{ width: width || 1280, height: height || 900, deviceScaleFactor: 1, mobile: false });
	page.navigate = async (url) => {
		const loaded = new Promise((resolve) => { onLoad = resolve; });
		await page.send('Page.navigate', { url });
		await loaded;
	};
	page.eval = async (expr) => {
		const r = await page.send('Runtime.evaluate',
			{ expression: expr, returnByValue: true, awaitPromise: true });
		if (r.exceptionDetails)
			throw new Error('in page: ' + expr.slice(0, 80) + ': ' +
				(r.exceptionDetails.exception ? r.exceptionDetails.exception.description : r.exceptionDetails.text));
		return r.result.value;
	};
	page.click = async (x, y) => {
		for (const type of ['mousePressed', 'mouseReleased'])
			await page.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', clickCount: 1 });
	};
	page.screenshot = async (file) => {
		const h = await page.eval('Math.min(document.documentElement.scrollHeight, 7000)');
		await page.send('Emulation.setDeviceMetricsOverride',
			{ width: width || 1280, height: h, deviceScaleFactor: 1, mobile: false });
		await page.eval('new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))');
		const shot = await page.send('Page.captureScreenshot', { format: 'png' });
		fs.writeFileSync(file, Buffer.from(shot.data, 'base64'));
		await page.send('Emulation.setDeviceMetricsOverride',
			{ width: width || 1280, height: height || 900, deviceScaleFactor: 1, mobile: false });
	};
	return page;
}

module.exports = { launch, openPage };
