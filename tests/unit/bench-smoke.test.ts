import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * Benchmarks are not tests: they assert nothing about the figures and do not run in CI. This
 * smoke run (tiny sizes) only checks that each part still runs to the end and prints its figures,
 * so that `npm run bench` cannot rot. It needs what `npm test` needs: the production build,
 * PostgreSQL on 127.0.0.1:5432 and Chromium.
 */
function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, ['bench/run.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.once('exit', (code) => resolve({ code, stdout, stderr }));
	});
}

interface Figure {
	bench: string;
	name: string;
	value: number;
	unit: string;
	conditions: Record<string, unknown>;
	target?: string;
	met?: boolean;
}

describe('benchmarks (smoke run, tiny sizes)', () => {
	it('runs relay, history and page, printing one JSON figure per line', async () => {
		const { code, stdout, stderr } = await runBench(['--smoke']);
		expect(code, `bench/run.js --smoke failed:\n${stderr.slice(-3000)}`).toBe(0);
		const figures = stdout
			.split('\n')
			.filter((l) => l.startsWith('{'))
			.map((l) => JSON.parse(l) as Figure);
		for (const part of ['relay', 'history', 'page']) {
			expect(figures.filter((f) => f.bench === part).length, `no figures from ${part}`).toBeGreaterThan(3);
		}
		for (const f of figures) {
			expect(typeof f.name).toBe('string');
			expect(typeof f.unit).toBe('string');
			expect(typeof f.value).toBe('number');
			expect(f.conditions).toBeTypeOf('object');
			if (f.target !== undefined) expect(typeof f.met).toBe('boolean');
		}
		// The figures the issue sets targets for are all there, with numeric values.
		const named = (bench: string, name: string) => figures.filter((f) => f.bench === bench && f.name === name);
		for (const [bench, name] of [
			['relay', 'added_ttft_p50'],
			['relay', 'added_ttft_p99'],
			['relay', 'rate_ratio'],
			['relay', 'server_rss_peak'],
			['history', 'list_p50'],
			['history', 'open_p50'],
			['history', 'search_p50'],
			['page', 'initial_js_gzip'],
			['page', 'longest_task'],
			['page', 'total_time']
		]) {
			const found = named(bench!, name!);
			expect(found.length, `${bench}.${name} missing`).toBeGreaterThan(0);
			for (const f of found) expect(Number.isFinite(f.value), `${bench}.${name} = ${f.value}`).toBe(true);
		}
		// …and the human summary follows the figures.
		expect(stdout).toMatch(/== relay/);
		expect(stdout).toMatch(/== history/);
		expect(stdout).toMatch(/== page/);
	}, 90_000);
});
