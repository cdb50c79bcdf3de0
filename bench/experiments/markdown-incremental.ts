/**
 * Experiment (not part of `npm run bench`): evidence for the fix proposed for the page benchmark's
 * long tasks. It renders the same streamed answer as `bench/page.ts` (5 000 tokens with code and
 * math at 100 tokens/s) in Chromium with the app's own renderer (src/lib/markdown/render.ts,
 * bundled with esbuild) and its own styles, two ways:
 *
 *   full    what Markdown.svelte does today: once per animation frame, renderMarkdown(whole
 *           source) and replace the whole answer's HTML;
 *   blocks  the proposed fix: split the source into top-level Markdown blocks (marked's lexer),
 *           keep the DOM of every finished block (rendered once, cached by its source), and
 *           re-render only the last, still growing block each frame.
 *
 *   node --import tsx bench/experiments/markdown-incremental.ts [--tokens 5000] [--tps 100]
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { launchBrowser } from '../../tests/helpers/browser';
import { tokenize } from '../../tests/fixtures/fake-openai';
import { longMarkdownAnswer } from '../lib/french';
import { figure, log, machine, parseFlags } from '../lib/figures';
import { ROOT } from '../lib/services';

const { opts } = parseFlags();
const TOKENS = Number(opts.tokens ?? 5000);
const TPS = Number(opts.tps ?? 100);

const driver = `
import { renderMarkdown } from ${JSON.stringify(path.join(ROOT, 'src/lib/markdown/render.ts'))};
import { marked } from 'marked';
const cache = new Map();
function renderBlock(raw) {
	let html = cache.get(raw);
	if (html === undefined) { html = renderMarkdown(raw); cache.set(raw, html); }
	return html;
}
window.__run = (tokens, tps, mode) => new Promise((resolve) => {
	const root = document.querySelector('.markdown');
	let source = '', i = 0, frame = 0, rendered = '';
	const render = () => {
		frame = 0;
		if (source === rendered) return;
		rendered = source;
		if (mode === 'full') { root.innerHTML = renderMarkdown(source); return; }
		const blocks = marked.lexer(source).map((t) => t.raw).filter((r) => r.trim() !== '');
		for (let b = 0; b < blocks.length; b++) {
			const last = b === blocks.length - 1;
			let el = root.children[b];
			if (el && el.dataset.raw === blocks[b] && !last) continue;
			if (!el) { el = document.createElement('div'); el.className = 'md-block'; root.appendChild(el); }
			el.dataset.raw = blocks[b];
			el.innerHTML = last ? renderMarkdown(blocks[b]) : renderBlock(blocks[b]);
		}
		while (root.children.length > blocks.length) root.lastElementChild.remove();
	};
	const t0 = performance.now();
	const tick = () => {
		// Tokens arrive on a fixed schedule, like the upstream's (several per timer when late).
		const due = Math.min(tokens.length, Math.floor(((performance.now() - t0) * tps) / 1000) + 1);
		while (i < due) source += tokens[i++];
		if (!frame) frame = requestAnimationFrame(render);
		if (i < tokens.length) setTimeout(tick, 1000 / tps);
		else requestAnimationFrame(() => { render(); resolve({ t0, ms: performance.now() - t0, chars: root.textContent.length, katex: root.querySelectorAll('.katex').length, code: root.querySelectorAll('pre code').length }); });
	};
	tick();
});
`;

const bundle = await build({
	stdin: { contents: driver, resolveDir: ROOT, loader: 'js' },
	bundle: true,
	format: 'iife',
	minify: true,
	write: false,
	platform: 'browser',
	logLevel: 'silent'
});
const css = ['node_modules/katex/dist/katex.min.css', 'node_modules/highlight.js/styles/github.css', 'src/lib/markdown/markdown.css']
	.map((f) => fs.readFileSync(path.join(ROOT, f), 'utf8'))
	.join('\n')
	.replace(/url\([^)]*\)/g, 'none'); // no fonts: nothing to fetch from a setContent page

const tokens = longMarkdownAnswer(TOKENS, tokenize);
const browser = await launchBrowser();
try {
	for (const mode of ['full', 'blocks'] as const) {
		const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
		await page.setContent(`<!doctype html><html lang="fr"><head><style>${css} .md-block{display:contents}</style></head><body><main style="max-width:48rem;margin:auto"><div class="markdown"></div></main></body></html>`);
		await page.evaluate(() => {
			const w = window as unknown as { __lt: Array<{ start: number; duration: number }> };
			w.__lt = [];
			new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__lt.push({ start: e.startTime, duration: e.duration }))).observe({ type: 'longtask', buffered: true });
		});
		await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
		log(`markdown ${mode}: streaming ${tokens.length} tokens at ${TPS}/s…`);
		const res = await page.evaluate(([t, tps, m]) => (window as unknown as { __run: (a: unknown, b: unknown, c: unknown) => Promise<{ t0: number; ms: number; chars: number; katex: number; code: number }> }).__run(t, tps, m), [tokens, TPS, mode] as const);
		// Only the streaming: not the evaluation of the bundle itself.
		const lt = (await page.evaluate(() => (window as unknown as { __lt: Array<{ start: number; duration: number }> }).__lt)).filter((t) => t.start >= res.t0);
		const cond = { mode, tokens: tokens.length, tps: TPS, katex: res.katex, code_blocks: res.code, chars: res.chars, ...machine() };
		figure('markdown-experiment', 'longest_task', Math.max(0, ...lt.map((t) => t.duration)), 'ms', cond, '<= 50');
		figure('markdown-experiment', 'long_tasks', lt.length, 'tasks', cond);
		figure('markdown-experiment', 'long_task_time', lt.reduce((s, t) => s + t.duration, 0), 'ms', cond);
		figure('markdown-experiment', 'total_time', res.ms, 'ms', cond);
		await page.close();
	}
} finally {
	await browser.close();
}
process.exit(0);
