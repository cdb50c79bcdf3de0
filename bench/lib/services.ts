/** Starting what the benchmarks measure: the production build and the fake upstream, each in its own process. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startAppServer, type AppServer } from '../../tests/helpers/app-server';
import { log } from './figures';

export const ROOT = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Where profiles and query plans go (git-ignored). */
export const RESULTS_DIR = path.join(ROOT, 'test-results', 'bench');

/** What a part started and must stop, even when interrupted (Ctrl-C, SIGTERM from run.js). */
const cleanups = new Set<() => Promise<unknown>>();
export function onCleanup(fn: () => Promise<unknown>): () => void {
	cleanups.add(fn);
	return () => cleanups.delete(fn);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
	process.once(sig, () => {
		log(`${sig}: stopping what this part started…`);
		const timer = setTimeout(() => process.exit(130), 15_000);
		void Promise.allSettled([...cleanups].map((f) => f())).finally(() => {
			clearTimeout(timer);
			process.exit(130);
		});
	});
}

export function ensureBuild(): void {
	if (fs.existsSync(path.join(ROOT, 'build/index.js'))) return;
	log('no production build: running `npm run build`…');
	const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
	if (r.status !== 0) throw new Error('`npm run build` failed');
}

export interface Upstream {
	url: string;
	pid: number;
	tokens: number;
	chars: number;
	stop(): Promise<void>;
}

/** bench/fake-upstream.ts in a child process. */
export async function startUpstream(args: { tokens: number; tps: number; ttft: number; markdown?: boolean }): Promise<Upstream> {
	const argv = ['--import', 'tsx', path.join(ROOT, 'bench/fake-upstream.ts'), '--tokens', String(args.tokens), '--tps', String(args.tps), '--ttft', String(args.ttft)];
	if (args.markdown) argv.push('--markdown');
	const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const first = await new Promise<string>((resolve, reject) => {
		const rl = readline.createInterface({ input: child.stdout! });
		rl.once('line', (l) => {
			rl.close();
			resolve(l);
		});
		child.once('exit', (code) => reject(new Error(`fake upstream exited with ${code}`)));
	});
	const info = JSON.parse(first) as { url: string; tokens: number; chars: number };
	const stop = async () => {
		if (child.exitCode === null) child.kill('SIGTERM');
		await exited;
	};
	const off = onCleanup(stop);
	return {
		...info,
		pid: child.pid!,
		async stop() {
			off();
			await stop();
		}
	};
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address() as net.AddressInfo;
			s.close(() => resolve(port));
		});
	});
}

/**
 * The production build (tests/helpers/app-server.ts: `node scripts/start.js`, its own fresh
 * database, models pointing at `upstreamUrl`). It gets an explicit PORT and ORIGIN, as a real
 * deployment has, so that the browser's same-origin checks see the address it is reached at.
 */
export async function startApp(opts: { upstreamUrl: string; db: 'pglite' | 'postgres'; env?: Record<string, string> }): Promise<AppServer> {
	ensureBuild();
	const port = await freePort();
	const app = await startAppServer({
		modelBaseURL: opts.upstreamUrl,
		db: opts.db,
		env: { PORT: String(port), ORIGIN: `http://127.0.0.1:${port}`, ...opts.env }
	});
	const off = onCleanup(() => app.stop());
	const stop = app.stop.bind(app);
	app.stop = async (signal) => {
		off();
		return stop(signal);
	};
	return app;
}

export async function createConversation(appUrl: string): Promise<string> {
	const res = await fetch(`${appUrl}/api/conversations`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: '{}'
	});
	if (res.status !== 201) throw new Error(`POST /api/conversations answered ${res.status}: ${await res.text()}`);
	const body = (await res.json()) as { conversation: { id: string } };
	return body.conversation.id;
}

/** Creates `n` conversations, `concurrency` at a time. */
export async function createConversations(appUrl: string, n: number, concurrency = 8): Promise<string[]> {
	const ids: string[] = new Array(n);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(concurrency, n) }, async () => {
			while (next < n) {
				const i = next++;
				ids[i] = await createConversation(appUrl);
			}
		})
	);
	return ids;
}

export function ensureResultsDir(): string {
	fs.mkdirSync(RESULTS_DIR, { recursive: true });
	return RESULTS_DIR;
}
