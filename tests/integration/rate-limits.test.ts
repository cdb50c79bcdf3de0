import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { TEST_DB } from '../helpers/database';

const REDIS_URL = 'redis://127.0.0.1:6379';

async function send(app: AppServer): Promise<Response> {
	const conv = await fetch(`${app.url}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
	const { conversation } = await conv.json();
	const res = await fetch(`${app.url}/api/conversations/${conversation.id}/messages`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ trigger: 'submit-message', text: 'Bonjour' })
	});
	if (res.ok) await res.text();
	return res;
}

/** Fixed one-minute windows: wait when the current one is about to end, so a test stays inside one. */
async function awayFromMinuteEdge(): Promise<void> {
	const left = 60_000 - (Date.now() % 60_000);
	if (left < 8_000) await new Promise((r) => setTimeout(r, left + 100));
}

describe(`rate limits and quotas (${TEST_DB})`, () => {
	let fake: FakeOpenAI;
	const prefix = `test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
	const apps: AppServer[] = [];

	beforeAll(async () => {
		fake = await startFakeOpenAI({ apiKey: 'test-key' });
		fake.respond({ text: 'Une réponse de vingt mots environ pour compter les jetons consommés par la personne ce jour.' });
	});
	afterAll(async () => {
		await Promise.all(apps.map((a) => a.stop()));
		await fake?.close();
		const redis = new Redis(REDIS_URL);
		const keys = await redis.keys(`${prefix}*`);
		if (keys.length) await redis.del(...keys);
		await redis.quit();
	});

	it('two instances sharing Redis share the per-minute counter; the 429 says when to continue', async () => {
		const env = { REDIS_URL, REDIS_KEY_PREFIX: `${prefix}-a`, RATE_LIMIT_REQUESTS_PER_MINUTE: '3', RATE_LIMIT_EXEMPT_ADMINS: 'false' };
		const [a, b] = await Promise.all([startAppServer({ modelBaseURL: fake.url, env }), startAppServer({ modelBaseURL: fake.url, env })]);
		apps.push(a, b);
		await awayFromMinuteEdge();
		expect((await send(a)).status).toBe(200);
		expect((await send(b)).status).toBe(200);
		expect((await send(a)).status).toBe(200);
		const refused = await send(b);
		expect(refused.status).toBe(429);
		const retryAfter = Number(refused.headers.get('retry-after'));
		expect(retryAfter).toBeGreaterThan(0);
		expect(retryAfter).toBeLessThanOrEqual(60);
		const body = await refused.json();
		expect(body.error).toMatchObject({ code: 'rate_limited', retryAfter });
		expect(body.error.message).toMatch(/3 messages this minute.*continue in \d+ s/);
	});

	it('refuses new messages once the daily token quota is used, until midnight UTC', async () => {
		const app = await startAppServer({
			modelBaseURL: fake.url,
			env: { REDIS_URL, REDIS_KEY_PREFIX: `${prefix}-b`, RATE_LIMIT_TOKENS_PER_DAY: '10', RATE_LIMIT_EXEMPT_ADMINS: 'false' }
		});
		apps.push(app);
		expect((await send(app)).status).toBe(200);
		await new Promise((r) => setTimeout(r, 200));
		const refused = await send(app);
		expect(refused.status).toBe(429);
		expect((await refused.json()).error.code).toBe('token_quota');
		expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(86_400);
	});

	it('counts in memory without Redis, and exempts administrators when configured to', async () => {
		const limited = await startAppServer({ modelBaseURL: fake.url, env: { RATE_LIMIT_REQUESTS_PER_MINUTE: '1', RATE_LIMIT_EXEMPT_ADMINS: 'false' } });
		const exempt = await startAppServer({ modelBaseURL: fake.url, env: { RATE_LIMIT_REQUESTS_PER_MINUTE: '1' } });
		apps.push(limited, exempt);
		await awayFromMinuteEdge();
		expect((await send(limited)).status).toBe(200);
		expect((await send(limited)).status).toBe(429);
		// The local user is an administrator, exempt by default.
		expect((await send(exempt)).status).toBe(200);
		expect((await send(exempt)).status).toBe(200);
	});
});
