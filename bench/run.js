#!/usr/bin/env node
// Runs the benchmarks (see bench/README.md).
//
//   npm run bench                          all parts: relay, history, page
//   node bench/run.js relay                one part (or several: `node bench/run.js relay page`)
//   node bench/run.js --smoke              tiny sizes, a few seconds each (what `npm test` runs)
//   node bench/run.js relay --streams 200  any other flag goes to the parts
//   node bench/run.js --json               figures only (one JSON object per line)
//
// Each part runs in its own process (`node --import tsx bench/<part>.ts`). Figures are printed
// on stdout as one JSON object per line; progress and diagnostics go to stderr; a human summary
// ends each part. Benchmarks assert nothing: the exit code is 0 unless a part crashed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PARTS = ['relay', 'history', 'page'];

const args = process.argv.slice(2);
const parts = args.filter((a) => PARTS.includes(a));
const unknown = args.filter((a, i) => !a.startsWith('--') && !PARTS.includes(a) && !(i > 0 && args[i - 1].startsWith('--') && !args[i - 1].includes('=') && !isBoolean(args[i - 1])));
if (unknown.length) {
	console.error(`unknown part(s): ${unknown.join(', ')} (parts: ${PARTS.join(', ')})`);
	process.exit(2);
}
const jsonOnly = args.includes('--json');
const flags = args.filter((a) => !PARTS.includes(a) && a !== '--json');
const selected = parts.length ? parts : PARTS;

function isBoolean(flag) {
	return ['--smoke', '--json', '--profile', '--keep', '--markdown'].includes(flag);
}

if (!fs.existsSync(path.join(ROOT, 'build/index.js'))) {
	console.error('[bench] no production build: running `npm run build`…');
	const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
	if (r.status !== 0) {
		console.error('[bench] `npm run build` failed');
		process.exit(1);
	}
}

let current = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
	process.on(sig, () => {
		// The part stops what it started (app, fake upstream, databases), then exits.
		if (!current) process.exit(130);
		current.kill(sig);
		current.once('exit', () => process.exit(130));
		setTimeout(() => process.exit(130), 20_000).unref();
	});
}

function runPart(part) {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', `${part}.ts`), ...flags], {
			cwd: ROOT,
			stdio: ['ignore', 'pipe', 'inherit']
		});
		current = child;
		const figures = [];
		const rl = readline.createInterface({ input: child.stdout });
		rl.on('line', (line) => {
			if (line.startsWith('{')) {
				try {
					figures.push(JSON.parse(line));
				} catch {
					/* not a figure */
				}
				process.stdout.write(line + '\n');
			} else if (!jsonOnly) {
				process.stdout.write(line + '\n');
			}
		});
		child.once('exit', (code, signal) => {
			current = null;
			rl.close();
			resolve({ part, code: code ?? (signal ? 1 : 0), figures });
		});
	});
}

const results = [];
const t0 = Date.now();
for (const part of selected) {
	const start = Date.now();
	const r = await runPart(part);
	r.seconds = Math.round((Date.now() - start) / 100) / 10;
	results.push(r);
	if (r.code !== 0) console.error(`[bench] ${part} exited with code ${r.code}`);
}

if (!jsonOnly && results.length > 1) {
	const lines = ['', `== all parts (${Math.round((Date.now() - t0) / 1000)} s) ==`];
	for (const r of results) {
		const targets = r.figures.filter((f) => f.met !== undefined);
		const missed = targets.filter((f) => !f.met);
		lines.push(
			`   ${r.part.padEnd(8)} ${r.code === 0 ? 'ran' : `FAILED (exit ${r.code})`} in ${r.seconds} s: ${r.figures.length} figures, targets ${targets.length - missed.length}/${targets.length} met` +
				(missed.length ? ` — missed: ${missed.map((f) => `${f.name}=${f.value} ${f.unit} (${f.target})`).join(', ')}` : '')
		);
	}
	process.stdout.write(lines.join('\n') + '\n');
}
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
