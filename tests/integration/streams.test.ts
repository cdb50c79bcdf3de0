import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startFakeOpenAI, tokenize, type FakeOpenAI } from '../fixtures/fake-openai';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { createPostgresDatabase, TEST_DB } from '../helpers/database';
import { parseSse, sseText } from '../helpers/sse';

const TPS = 40;
const words = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(' ');

/** A database that outlives app restarts: a PGlite folder or a PostgreSQL database. */
async function persistentDb(): Promise<{ opts: { dataDir?: string; databaseUrl?: string }; drop: () => Promise<void> }> {
	if (TEST_DB === 'postgres') {
		const { url, drop } = await createPostgresDatabase();
		return { opts: { databaseUrl: url }, drop };
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistant-ia-persist-'));
	return { opts: { dataDir: dir }, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

async function post(app: AppServer, p: string, body: unknown, signal?: AbortSignal): Promise<Response> {
	return fetch(app.url + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

async function newConversation(app: AppServer): Promise<string> {
	return (await (await post(app, '/api/conversations', {})).json()).conversation.id;
}

/** What the fake upstream actually wrote for the request whose last question was `question`. */
function upstreamText(fake: FakeOpenAI, question: string): string {
	const index = fake.requests.findIndex((r) => JSON.stringify(r.messages.at(-1)?.content) === JSON.stringify(question));
	const sent = fake.sent().find((s) => s.requestIndex === index);
	if (!sent) throw new Error(`no upstream stream for ${question}`);
	return sent.text;
}

describe(`live answers across disconnects, restarts and crashes (${TEST_DB})`, () => {
	let fake: FakeOpenAI;
	beforeAll(async () => {
		fake = await startFakeOpenAI({ apiKey: 'test-key' });
		fake.respond((req) => {
			const q = String(req.messages.at(-1)?.content ?? '');
			if (JSON.stringify(req.messages[0]?.content).includes('titre court')) return { text: 'Titre' };
			const m = q.match(/^(long|court) (\S+)/);
			return { text: words(`${m?.[2] ?? 'x'}w`, m?.[1] === 'court' ? 10 : 400), tokensPerSecond: TPS };
		});
	});
	afterAll(async () => fake?.close());

	it('SIGTERM lets running answers finish within the grace period, then saves the rest as interrupted', async () => {
		const db = await persistentDb();
		const app = await startAppServer({ modelBaseURL: fake.url, ...db.opts, instanceId: 'graceful', env: { SHUTDOWN_GRACE_MS: '1500' } });
		const shortConv = await newConversation(app);
		const longConv = await newConversation(app);
		const short = await post(app, `/api/conversations/${shortConv}/messages`, { trigger: 'submit-message', text: 'court g1' });
		const long = await post(app, `/api/conversations/${longConv}/messages`, { trigger: 'submit-message', text: 'long g2' });
		void short.body?.cancel();
		void long.body?.cancel();
		await new Promise((r) => setTimeout(r, 100));
		const t0 = Date.now();
		expect(await app.stop('SIGTERM')).toBe(0);
		expect(Date.now() - t0).toBeLessThan(8_000);
		expect(app.output()).toContain('stopped cleanly');

		const again = await startAppServer({ modelBaseURL: fake.url, ...db.opts, instanceId: 'graceful' });
		try {
			const s = await (await fetch(`${again.url}/api/conversations/${shortConv}`)).json();
			expect(s.messages[1].metadata.status).toBe('complete');
			expect(s.messages[1].parts[0].text).toBe(words('g1w', 10));
			const l = await (await fetch(`${again.url}/api/conversations/${longConv}`)).json();
			expect(l.messages[1].metadata.status).toBe('interrupted');
			const saved = l.messages[1].parts[0]?.text ?? '';
			expect(words('g2w', 400).startsWith(saved)).toBe(true);
			expect(saved.length).toBeGreaterThan(0);
		} finally {
			await again.stop();
			await db.drop();
		}
	});

	it('after SIGKILL at random moments, every question is kept and every answer is complete or interrupted, missing at most 1 s of text', async () => {
		const db = await persistentDb();
		const rounds = Number(process.env.KILL_ROUNDS ?? 4);
		const questions: Array<{ conversation: string; question: string }> = [];
		let app = await startAppServer({ modelBaseURL: fake.url, ...db.opts, instanceId: 'killed' });
		try {
			for (let round = 0; round < rounds; round++) {
				for (let k = 0; k < 3; k++) {
					const conversation = await newConversation(app);
					const question = `long k${round}x${k}`;
					const res = await post(app, `/api/conversations/${conversation}/messages`, { trigger: 'submit-message', text: question });
					void res.body?.cancel();
					questions.push({ conversation, question });
				}
				await new Promise((r) => setTimeout(r, 400 + Math.random() * 1600));
				await app.stop('SIGKILL');
				app = await startAppServer({ modelBaseURL: fake.url, ...db.opts, instanceId: 'killed' });
			}
			for (const { conversation, question } of questions) {
				const body = await (await fetch(`${app.url}/api/conversations/${conversation}`)).json();
				expect(body.messages[0]).toMatchObject({ role: 'user', parts: [{ text: question }] });
				const answer = body.messages[1];
				expect(['complete', 'interrupted']).toContain(answer.metadata.status);
				const saved: string = answer.parts[0]?.text ?? '';
				const sent = upstreamText(fake, question);
				expect(sent.startsWith(saved), `${question}: saved text is not a prefix of what the upstream sent`).toBe(true);
				const lostTokens = tokenize(sent).length - tokenize(saved).length;
				expect(lostTokens, `${question}: ${lostTokens} tokens lost`).toBeLessThanOrEqual(TPS + 2);
			}
		} finally {
			await app.stop();
			await db.drop();
		}
	}, 120_000);

	it('a client that disconnects and reconnects gets the exact text, byte for byte; two readers see the same', async () => {
		const app = await startAppServer({ modelBaseURL: fake.url });
		try {
			const conv = await newConversation(app);
			const controller = new AbortController();
			const first = await post(app, `/api/conversations/${conv}/messages`, { trigger: 'submit-message', text: 'long r1' }, controller.signal);
			await first.body!.getReader().read();
			controller.abort();
			const second = fetch(`${app.url}/api/conversations/${conv}/stream`).then((r) => r.text());
			await new Promise((r) => setTimeout(r, 500));
			const third = fetch(`${app.url}/api/conversations/${conv}/stream`).then((r) => r.text());
			const [a, b] = await Promise.all([second, third]);
			const upstream = upstreamText(fake, 'long r1');
			expect(sseText(parseSse(a))).toBe(upstream);
			expect(sseText(parseSse(b))).toBe(upstream);
		} finally {
			await app.stop();
		}
	}, 30_000);

	it.runIf(TEST_DB === 'postgres')('two instances sharing Redis: resume and stop work on either one', async () => {
		const db = await createPostgresDatabase();
		const prefix = `test-streams-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
		const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix };
		const [a, b] = await Promise.all([
			startAppServer({ modelBaseURL: fake.url, databaseUrl: db.url, instanceId: 'a', env }),
			startAppServer({ modelBaseURL: fake.url, databaseUrl: db.url, instanceId: 'b', env })
		]);
		try {
			// Started on A, the client goes away, and resumes on B.
			const conv = await newConversation(a);
			const controller = new AbortController();
			const started = await post(a, `/api/conversations/${conv}/messages`, { trigger: 'submit-message', text: 'long m1' }, controller.signal);
			await started.body!.getReader().read();
			controller.abort();
			await new Promise((r) => setTimeout(r, 300));
			const resumed = await fetch(`${b.url}/api/conversations/${conv}/stream`);
			expect(resumed.status).toBe(200);
			const chunks = parseSse(await resumed.text());
			expect(sseText(chunks)).toBe(upstreamText(fake, 'long m1'));
			expect(chunks.filter((c) => c.type === 'start')).toHaveLength(1);

			// Started on A, stopped from B: the upstream request is aborted, the text kept.
			const conv2 = await newConversation(a);
			const res = await post(a, `/api/conversations/${conv2}/messages`, { trigger: 'submit-message', text: 'long m2' });
			const messageId = res.headers.get('x-message-id')!;
			await new Promise((r) => setTimeout(r, 400));
			const stop = await post(b, `/api/messages/${messageId}/stop`, {});
			expect(await stop.json()).toEqual({ stopped: true });
			const final = parseSse(await res.text());
			expect(final.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'stopped' } });
			const saved = await (await fetch(`${b.url}/api/conversations/${conv2}`)).json();
			expect(saved.messages[1].metadata.status).toBe('stopped');
			expect(saved.messages[1].parts[0].text).toBe(sseText(final));
		} finally {
			await Promise.all([a.stop(), b.stop()]);
			await db.drop();
			const redis = new Redis('redis://127.0.0.1:6379');
			const keys = await redis.keys(`${prefix}*`);
			if (keys.length) await redis.del(...keys);
			await redis.quit();
		}
	}, 60_000);
});
