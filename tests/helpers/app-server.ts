import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPostgresDatabase, TEST_DB } from './database';

/**
 * Starts the production build (`node scripts/start.js`, as `npm start` does) as a child process
 * on a free port, with its own fresh database, and the given model configuration.
 */
export interface AppServer {
	url: string;
	process: ChildProcess;
	output(): string;
	stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface AppServerOptions {
	/** Base URL of an OpenAI-compatible endpoint (the fake); models fake-small and fake-large. */
	modelBaseURL?: string;
	env?: Record<string, string | undefined>;
	db?: 'pglite' | 'postgres';
	/** A fixed port (when the URL must be known in advance, e.g. for OIDC redirect URIs). */
	port?: number;
	/** Share (and keep) this PostgreSQL database instead of creating one. */
	databaseUrl?: string;
	/** Use (and keep) this PGlite data folder instead of a temporary one. */
	dataDir?: string;
	/** A stable instance name (for restarts of "the same" instance). */
	instanceId?: string;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
	const net = await import('node:net');
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

export async function startAppServer(opts: AppServerOptions = {}): Promise<AppServer> {
	if (!fs.existsSync('build/index.js')) throw new Error('No production build: run `npm run build` first (npm test does).');
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'assistant-ia-'));
	const kind = opts.db ?? TEST_DB;
	const pgdb = kind === 'postgres' && !opts.databaseUrl ? await createPostgresDatabase() : null;
	let modelsConfig: string | undefined;
	if (opts.modelBaseURL) {
		modelsConfig = path.join(tmp, 'models.json');
		fs.writeFileSync(
			modelsConfig,
			JSON.stringify({
				providers: [{ id: 'fake', baseURL: opts.modelBaseURL, apiKeyEnv: 'FAKE_API_KEY' }],
				models: [
					{ id: 'fake-small', label: 'Fake Small', provider: 'fake', upstreamModel: 'small', contextWindow: 8192, default: true },
					{ id: 'fake-large', label: 'Fake Large', provider: 'fake', upstreamModel: 'large', contextWindow: 32768 }
				]
			})
		);
	}
	const env: Record<string, string | undefined> = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		NODE_ENV: 'production',
		PORT: String(opts.port ?? 0),
		HOST: '127.0.0.1',
		INSTANCE_ID: opts.instanceId ?? `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
		DATA_DIR: opts.dataDir ?? path.join(tmp, 'data'),
		DATABASE_URL: opts.databaseUrl ?? pgdb?.url,
		MODELS_CONFIG: modelsConfig,
		FAKE_API_KEY: 'test-key',
		SHUTDOWN_GRACE_MS: '2000',
		MODEL_RETRIES: '0',
		SHUTDOWN_TIMEOUT: '5',
		...opts.env
	};
	const child = spawn(process.execPath, ['scripts/start.js'], {
		env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	child.stdout!.on('data', (d) => (output += d));
	child.stderr!.on('data', (d) => (output += d));
	const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

	const url = await new Promise<string>((resolve, reject) => {
		const fail = (err: Error) => {
			// Do not leave the run's database behind when the app cannot start.
			void pgdb?.drop().catch(() => {});
			reject(err);
		};
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			fail(new Error(`app did not start in time:\n${output}`));
		}, 30_000);
		const onData = () => {
			const m = output.match(/Listening on (http:\/\/[^\s]+)/);
			if (m) {
				clearTimeout(timer);
				resolve(m[1].replace(/\/$/, ''));
			}
		};
		child.stdout!.on('data', onData);
		child.once('exit', (code) => {
			clearTimeout(timer);
			fail(new Error(`app exited with ${code} before listening:\n${output}`));
		});
	});
	// The database is opened lazily by the first request; wait until it answers.
	for (let i = 0; i < 100; i++) {
		const res = await fetch(`${url}/healthz`).catch(() => null);
		if (res?.ok) break;
		await new Promise((r) => setTimeout(r, 100));
	}

	return {
		url,
		process: child,
		output: () => output,
		async stop(signal: NodeJS.Signals = 'SIGTERM') {
			if (child.exitCode === null) child.kill(signal);
			const code = await exited;
			await pgdb?.drop();
			fs.rmSync(tmp, { recursive: true, force: true });
			return code;
		}
	};
}

/** Runs the start script to its exit (for start-up failures) and returns its output. */
export async function runStartScript(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
	const child = spawn(process.execPath, ['scripts/start.js'], {
		env: { PATH: process.env.PATH, PORT: '0', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'assistant-ia-')), ...env },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	let output = '';
	child.stdout!.on('data', (d) => (output += d));
	child.stderr!.on('data', (d) => (output += d));
	const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
	const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
	clearTimeout(timer);
	return { code, output };
}
