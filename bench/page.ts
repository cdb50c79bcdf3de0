/**
 * The page: (1) the production build's initial JavaScript for the chat page, gzip-compressed, as
 * the browser loads it (modulepreload links + entry imports of the HTML the app serves), and
 * (2) in Chromium, rendering a long streamed answer with code blocks and math through the real
 * app: the longest main-thread task while it streams, and the total time until the answer is done,
 * next to the physical limit (the upstream's own duration for that answer).
 *
 *   node --import tsx bench/page.ts [--smoke] [--tokens 5000] [--tps 100] [--ttft 20]
 *                                   [--profile]   (Chromium trace + CPU profile of the renderer)
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../tests/helpers/browser';
import { figure, log, machine, parseFlags, type Conditions, figures } from './lib/figures';
import { createConversation, ensureResultsDir, onCleanup, startApp, startUpstream } from './lib/services';
import { printTopFunctions, type CpuProfile } from './lib/profile';

const { smoke, opts } = parseFlags();
const TOKENS = Number(opts.tokens ?? (smoke ? 300 : 5000));
const TPS = Number(opts.tps ?? (smoke ? 300 : 100));
const TTFT = Number(opts.ttft ?? 20);
const PROFILE = opts.profile === 'true';
const b = 'page';

/** Libraries recognisable in a minified chunk, to say what an initial chunk is made of. */
const SIGNATURES: Array<[string, RegExp]> = [
	['katex', /KaTeX parse error|katex-mathml/],
	['highlight.js', /hljs|Highlight\.js|highlightAuto/],
	['marked', /marked\(\): |walkTokens/],
	['dompurify', /DOMPurify|uponSanitizeAttribute/],
	['ai (AI SDK)', /DefaultChatTransport|ui-message-stream|text-delta/],
	['zod', /ZodError|_zod/],
	['svelte', /svelte|\$\$props|hydrat/],
	['@sveltejs/kit', /sveltekit|__sveltekit/]
];

/**
 * The JavaScript the chat page's HTML makes the browser load before it is interactive: the
 * modulepreload links (in the HTML and in the HTTP Link header, where SvelteKit puts them with
 * adapter-node), the entry modules the bootstrap script imports, and everything those import
 * statically (dynamic `import()`s are lazy and not counted).
 */
async function initialJs(appUrl: string, pagePath: string, cond: Conditions, browserLoaded: string[]): Promise<void> {
	const url = appUrl + pagePath;
	const res = await fetch(url);
	const html = await res.text();
	const refs = new Set<string>();
	for (const part of (res.headers.get('link') ?? '').split(/,\s*(?=<)/)) {
		const m = /^<([^>]+)>(.*)$/.exec(part.trim());
		if (m && /rel="?modulepreload"?/.test(m[2]!)) refs.add(new URL(m[1]!, url).href);
	}
	for (const m of html.matchAll(/<link\b[^>]*>/g)) {
		if (!/rel="modulepreload"/.test(m[0])) continue;
		const href = /href="([^"]+)"/.exec(m[0])?.[1];
		if (href) refs.add(new URL(href, url).href);
	}
	for (const m of html.matchAll(/import\(\s*["']([^"']+\.js)["']\s*\)/g)) refs.add(new URL(m[1]!, url).href);
	for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) refs.add(new URL(m[1]!, url).href);

	const bodies = new Map<string, Buffer>();
	// Cross-check: what Chromium actually fetched before any interaction (SvelteKit's client also
	// loads the root error page's node at start, which no preload link names).
	const fromBrowser = browserLoaded.map((p) => new URL(p, url).href).filter((f) => !refs.has(f));
	const queue = [...refs, ...fromBrowser];
	while (queue.length) {
		const f = queue.shift()!;
		if (bodies.has(f)) continue;
		const body = Buffer.from(await (await fetch(f)).arrayBuffer());
		bodies.set(f, body);
		// Static imports of a minified ES module: `import{a as b}from"./x.js"`, `import"./x.js"`, `export*from"./x.js"`.
		for (const m of body.toString('utf8').matchAll(/(?:\bfrom|\bimport)\s*["']([^"']+\.js)["']/g)) {
			const dep = new URL(m[1]!, f).href;
			if (!bodies.has(dep)) queue.push(dep);
		}
	}
	let raw = 0;
	let gz = 0;
	const rows: Array<{ file: string; raw: number; gz: number; libs: string }> = [];
	for (const [f, body] of bodies) {
		const g = zlib.gzipSync(body).length; // default level (6), like Vite's report
		raw += body.length;
		gz += g;
		const text = body.toString('utf8');
		rows.push({ file: new URL(f).pathname, raw: body.length, gz: g, libs: SIGNATURES.filter(([, re]) => re.test(text)).map(([n]) => n).join(', ') });
	}
	// Inline scripts in the HTML (SvelteKit's bootstrap, with the page data) count too.
	const inline = [...html.matchAll(/<script(?![^>]*src=)[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]!).join('\n');
	const inlineGz = inline ? zlib.gzipSync(inline).length : 0;
	const c = { ...cond, page: pagePath.replace(/[0-9a-f-]{36}/, ':id'), files: bodies.size, gzip_level: 6 };
	figure(b, 'initial_js_gzip', (gz + inlineGz) / 1000, 'kB', c, '<= 150');
	figure(b, 'initial_js_raw', (raw + inline.length) / 1000, 'kB', c);
	rows.sort((x, y) => y.gz - x.gz);
	process.stderr.write(
		`[bench] initial JS of ${c.page}: ${bodies.size} files\n` +
			rows.map((r) => `   ${(r.gz / 1000).toFixed(1).padStart(7)} kB gz ${(r.raw / 1000).toFixed(1).padStart(8)} kB raw  ${r.file}  ${r.libs}`).join('\n') +
			`\n   ${(inlineGz / 1000).toFixed(1).padStart(7)} kB gz (inline bootstrap script)\n`
	);
	const onlyBrowser = fromBrowser.filter((f) => ![...refs].includes(f));
	if (onlyBrowser.length) log(`   of which loaded by Chromium at start but named by no preload link/entry: ${onlyBrowser.map((f) => new URL(f).pathname).join(', ')}`);
}

/** The JS files Chromium fetches when it opens `url`, until the network is idle (no interaction). */
async function jsLoadedByBrowser(browser: Browser, url: string): Promise<string[]> {
	const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'fr-FR' });
	const page = await context.newPage();
	const loaded = new Set<string>();
	page.on('response', (r) => {
		const u = new URL(r.url());
		if (u.pathname.endsWith('.js')) loaded.add(u.pathname);
	});
	await page.goto(url, { waitUntil: 'networkidle' });
	await page.waitForTimeout(200);
	await context.close();
	return [...loaded];
}

const LONGTASK_OBSERVER = () => {
	const w = window as unknown as { __longtasks: Array<{ start: number; duration: number }> };
	w.__longtasks = [];
	try {
		new PerformanceObserver((list) => {
			for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, duration: e.duration });
		}).observe({ type: 'longtask', buffered: true });
	} catch {
		/* no long task API */
	}
};

async function render(browser: Browser, appUrl: string, cond: Conditions): Promise<void> {
	const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'fr-FR' });
	const page = await context.newPage();
	const errors: string[] = [];
	page.on('pageerror', (e) => errors.push(e.message));
	await page.addInitScript(LONGTASK_OBSERVER);
	await page.goto(appUrl + '/', { waitUntil: 'networkidle' });
	await page.locator('#composer').waitFor();
	await page.waitForTimeout(300);
	const loadTasks = await longTasks(page, 0);

	let cdp: Awaited<ReturnType<typeof context.newCDPSession>> | null = null;
	if (PROFILE) {
		cdp = await context.newCDPSession(page);
		await cdp.send('Profiler.enable');
		await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
		await cdp.send('Profiler.start');
		await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute'] });
	}

	await page.locator('#composer').fill('Explique le calcul des échéances, avec du code et des formules.');
	const tStart = await page.evaluate(() => performance.now());
	const t0 = Date.now();
	await page.locator('#composer').press('Enter');
	await page.waitForURL(/\/c\/[0-9a-f-]{36}$/, { timeout: 30_000 });
	const answer = page.locator('article[data-role="assistant"] .markdown').last();
	await answer.filter({ hasText: /\S/ }).waitFor({ timeout: 30_000 });
	const firstMs = Date.now() - t0;
	const tFirst = await page.evaluate(() => performance.now());
	const limitMs = TTFT + ((TOKENS - 1) / TPS) * 1000;
	await page.locator('[data-testid="send"]').waitFor({ timeout: limitMs * 3 + 60_000 });
	const totalMs = Date.now() - t0;
	const tEnd = await page.evaluate(() => performance.now());

	if (cdp) {
		const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
		const dir = ensureResultsDir();
		fs.writeFileSync(path.join(dir, 'page-render.cpuprofile'), JSON.stringify(profile));
		const trace = await browser.stopTracing();
		fs.writeFileSync(path.join(dir, 'page-render-trace.json'), trace);
		log(`Chromium CPU profile: ${path.join(dir, 'page-render.cpuprofile')}, trace: ${path.join(dir, 'page-render-trace.json')} (open in chrome://tracing or DevTools)`);
		printTopFunctions(profile, 25);
		summarizeTrace(JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] });
	}

	const all = (await longTasks(page, tStart)).filter((t) => t.start <= tEnd);
	// Sending the first message navigates to /c/:id (client-side); the answer streams after that.
	const navTasks = all.filter((t) => t.start < tFirst - 50);
	const tasks = all.filter((t) => t.start >= tFirst - 50);
	const top = [...tasks].sort((x, y) => y.duration - x.duration).slice(0, 8);
	log(
		`long tasks while streaming (${tasks.length}), longest first:` +
			top.map((t) => ` ${t.duration.toFixed(0)} ms at ${((t.start - tFirst) / 1000).toFixed(1)} s`).join(',') +
			(tasks.length ? `; mean of the first 5: ${mean(tasks.slice(0, 5))} ms, of the last 5: ${mean(tasks.slice(-5))} ms` : '')
	);
	const stats = await page.evaluate(() => {
		const md = document.querySelector('article[data-role="assistant"]:last-of-type .markdown') ?? document.querySelectorAll('article[data-role="assistant"] .markdown')[0];
		return {
			chars: md?.textContent?.length ?? 0,
			katex: md?.querySelectorAll('.katex').length ?? 0,
			code: md?.querySelectorAll('pre code').length ?? 0,
			nodes: md?.querySelectorAll('*').length ?? 0
		};
	});
	await context.close();
	const c = { ...cond, rendered_chars: stats.chars, katex: stats.katex, code_blocks: stats.code, dom_nodes: stats.nodes };
	const longest = Math.max(0, ...tasks.map((t) => t.duration));
	figure(b, 'longest_task', longest, 'ms', c, '<= 50');
	figure(b, 'long_tasks', tasks.length, 'tasks', c);
	figure(b, 'blocking_time', tasks.reduce((s, t) => s + Math.max(0, t.duration - 50), 0), 'ms', c);
	figure(b, 'long_task_time', tasks.reduce((s, t) => s + t.duration, 0), 'ms', c);
	figure(b, 'first_token_visible', firstMs, 'ms', c);
	figure(b, 'total_time', totalMs, 'ms', c);
	figure(b, 'total_time_limit', limitMs, 'ms', { ...c, note: 'upstream TTFT + tokens/tps' });
	figure(b, 'navigation_longest_task', Math.max(0, ...navTasks.map((t) => t.duration)), 'ms', { ...cond, note: 'after Enter, before the first token: / -> /c/:id' });
	figure(b, 'load_longest_task', Math.max(0, ...loadTasks.map((t) => t.duration)), 'ms', { ...cond, page: '/' });
	if (errors.length) log(`page errors: ${errors.slice(0, 3).join(' | ')}`);
	if (stats.katex === 0 || stats.code === 0) log(`warning: the rendered answer has ${stats.katex} formulas and ${stats.code} code blocks`);
}

function mean(ts: Array<{ duration: number }>): number {
	return Math.round(ts.reduce((s, t) => s + t.duration, 0) / Math.max(1, ts.length));
}

async function longTasks(page: Page, since: number): Promise<Array<{ start: number; duration: number }>> {
	const all = await page.evaluate(() => (window as unknown as { __longtasks?: Array<{ start: number; duration: number }> }).__longtasks ?? []);
	return all.filter((t) => t.start >= since);
}

interface TraceEvent {
	name: string;
	ph: string;
	ts: number;
	dur?: number;
	pid: number;
	tid: number;
	args?: { data?: { url?: string; functionName?: string } };
}

/** Main-thread breakdown of the long (> 50 ms) tasks: time per event type inside them. */
function summarizeTrace(trace: { traceEvents: TraceEvent[] }): void {
	const ev = trace.traceEvents.filter((e) => e.ph === 'X' && e.dur !== undefined);
	const tasks = ev.filter((e) => (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask') && e.dur! > 50_000);
	if (tasks.length === 0) {
		log('trace: no main-thread task over 50 ms');
		return;
	}
	const main = `${tasks[0]!.pid}:${tasks[0]!.tid}`;
	const inside = ev.filter((e) => `${e.pid}:${e.tid}` === main && e.name !== 'RunTask');
	const by = new Map<string, number>();
	let total = 0;
	for (const t of tasks) {
		total += t.dur!;
		for (const e of inside) {
			if (e.ts >= t.ts && e.ts + e.dur! <= t.ts + t.dur! && ['FunctionCall', 'EvaluateScript', 'UpdateLayoutTree', 'Layout', 'Paint', 'ParseHTML', 'HitTest', 'MajorGC', 'MinorGC', 'V8.GC_SCAVENGER', 'PrePaint', 'Layerize', 'TimerFire', 'FireAnimationFrame', 'EventDispatch', 'RunMicrotasks', 'v8.run'].includes(e.name)) {
				by.set(e.name, (by.get(e.name) ?? 0) + e.dur!);
			}
		}
	}
	const longest = tasks.reduce((a, t) => (t.dur! > a.dur! ? t : a));
	process.stderr.write(
		`[bench] trace: ${tasks.length} main-thread tasks > 50 ms, ${(total / 1000).toFixed(0)} ms in all, longest ${(longest.dur! / 1000).toFixed(1)} ms; time inside them by event (nested events overlap):\n` +
			[...by.entries()]
				.sort((a, c) => c[1] - a[1])
				.map(([n, us]) => `   ${(us / 1000).toFixed(0).padStart(7)} ms  ${n}`)
				.join('\n') +
			'\n'
	);
}

function humanSummary(): void {
	const rows = figures().filter((f) => f.bench === b);
	const get = (name: string, p?: string) => rows.find((f) => f.name === name && (!p || f.conditions.page === p));
	const v = (name: string, p?: string) => {
		const f = get(name, p);
		return f ? `${f.value} ${f.unit}${f.target ? ` (target ${f.target}${f.met ? ', ok' : ', MISSED'})` : ''}` : 'n/a';
	};
	const m = machine();
	const out = [
		'',
		`== page: production build; Chromium (headless, ${m.cores} cores, ${m.cpu}) ==`,
		`   initial JS, gzip   /: ${v('initial_js_gzip', '/')}    /c/:id: ${v('initial_js_gzip', '/c/:id')}`,
		`   streaming ${TOKENS} tokens (code + math) at ${TPS} tokens/s:`,
		`     longest main-thread task  ${v('longest_task')}`,
		`     long tasks                ${v('long_tasks')}, ${v('long_task_time')} in all, blocking ${v('blocking_time')}`,
		`     first token visible       ${v('first_token_visible')}`,
		`     total time                ${v('total_time')}  (physical limit ${v('total_time_limit')})`
	];
	const targets = rows.filter((f) => f.met !== undefined);
	const missed = targets.filter((f) => !f.met);
	out.push(`   targets: ${targets.length - missed.length}/${targets.length} met${missed.length ? ' — missed: ' + missed.map((f) => `${f.name}${f.conditions.page ? ' ' + f.conditions.page : ''}=${f.value} ${f.unit}`).join(', ') : ''}`);
	process.stdout.write(out.join('\n') + '\n');
}

const upstream = await startUpstream({ tokens: TOKENS, tps: TPS, ttft: TTFT, markdown: true });
let app: Awaited<ReturnType<typeof startApp>> | null = null;
let browser: Browser | null = null;
try {
	app = await startApp({ upstreamUrl: upstream.url, db: 'pglite' });
	const cond: Conditions = { build: 'production', ...machine() };
	const id = await createConversation(app.url);
	browser = await launchBrowser();
	const b0 = browser;
	onCleanup(() => b0.close());
	await initialJs(app.url, '/', cond, await jsLoadedByBrowser(browser, app.url + '/'));
	await initialJs(app.url, `/c/${id}`, cond, await jsLoadedByBrowser(browser, `${app.url}/c/${id}`));
	log(`page: streaming ${upstream.tokens} tokens (${upstream.chars} chars) at ${TPS} tokens/s in Chromium`);
	await render(browser, app.url, { tokens: upstream.tokens, chars: upstream.chars, tps: TPS, ttft_ms: TTFT, db: 'pglite', viewport: '1280x860', ...machine() });
} finally {
	await browser?.close();
	await app?.stop();
	await upstream.stop();
}
humanSummary();
process.exit(0);
