import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { startAppServer, runStartScript, type AppServer } from '../helpers/app-server';
import { TEST_DB } from '../helpers/database';
import { parseSse, sseText } from '../helpers/sse';

describe(`HTTP API of the production build (${TEST_DB})`, () => {
	let fake: FakeOpenAI;
	let app: AppServer;
	const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
		fetch(app.url + path, {
			...init,
			headers: { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
			body: init.json !== undefined ? JSON.stringify(init.json) : init.body
		});
	const newConversation = async (modelId?: string) => {
		const res = await call('/api/conversations', { method: 'POST', json: { modelId } });
		expect(res.status).toBe(201);
		return (await res.json()).conversation as { id: string; modelId: string; title: string };
	};

	beforeAll(async () => {
		fake = await startFakeOpenAI({ apiKey: 'test-key' });
		fake.respond((req) =>
			JSON.stringify(req.messages[0]?.content).includes('titre court') ? { text: 'Congés annuels' } : { text: 'Vous avez **25 jours** de congés.', tokensPerSecond: 100 }
		);
		app = await startAppServer({ modelBaseURL: fake.url });
	});
	afterAll(async () => {
		const code = await app?.stop();
		expect(code).toBe(0);
		expect(app.output()).toContain('stopped cleanly');
		await fake?.close();
	});

	it('GET /healthz answers ok when the database answers', async () => {
		const res = await call('/healthz');
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ status: 'ok' });
	});

	it('serves pages with a strict Content-Security-Policy and security headers', async () => {
		const res = await call('/');
		expect(res.status).toBe(200);
		const csp = res.headers.get('content-security-policy')!;
		expect(csp).toMatch(/script-src 'self' 'sha256-/);
		expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
		expect(csp).toMatch(/img-src 'self' data: blob:;/);
		expect(csp).toMatch(/frame-ancestors 'none'/);
		expect(res.headers.get('x-content-type-options')).toBe('nosniff');
		expect(res.headers.get('referrer-policy')).toBe('same-origin');
		expect(await res.text()).toContain('<html lang="fr"');
		const en = await call('/', { headers: { cookie: 'lang=en' } });
		expect(await en.text()).toContain('<html lang="en"');
	});

	it('runs a whole turn: streams the answer, saves it, names the conversation', async () => {
		const conv = await newConversation();
		expect(conv.modelId).toBe('fake-small');
		const userId = crypto.randomUUID();
		const res = await call(`/api/conversations/${conv.id}/messages`, {
			method: 'POST',
			json: { trigger: 'submit-message', text: 'Combien de jours de congés ?', messageId: userId }
		});
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toContain('text/event-stream');
		expect(res.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
		const body = await res.text();
		expect(body.endsWith('}\n\ndata: [DONE]\n\n')).toBe(true);
		const chunks = parseSse(body);
		expect(sseText(chunks)).toBe('Vous avez **25 jours** de congés.');
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'complete' } });
		expect(fake.requests.at(-2)?.headers.authorization).toBe('Bearer test-key');

		const saved = await (await call(`/api/conversations/${conv.id}`)).json();
		expect(saved.conversation.title).toBe('Congés annuels');
		expect(saved.messages.map((m: { id: string; role: string }) => m.role)).toEqual(['user', 'assistant']);
		expect(saved.messages[0].id).toBe(userId);
		expect(saved.messages[1].parts[0].text).toBe('Vous avez **25 jours** de congés.');

		const list = await (await call('/api/conversations')).json();
		expect(list.conversations[0]).toMatchObject({ id: conv.id, title: 'Congés annuels' });
		const found = await (await call(`/api/conversations?q=${encodeURIComponent('conges')}`)).json();
		expect(found.conversations.map((c: { id: string }) => c.id)).toContain(conv.id);
	});

	it('lets a client that went away resume the live answer from its start, without duplicates', async () => {
		const conv = await newConversation();
		const answer = 'un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze';
		fake.enqueue({ text: answer, tokensPerSecond: 30 });
		const controller = new AbortController();
		const first = await call(`/api/conversations/${conv.id}/messages`, {
			method: 'POST',
			json: { trigger: 'submit-message', text: 'Compte jusqu’à quinze' },
			signal: controller.signal
		});
		const reader = first.body!.getReader();
		await reader.read();
		controller.abort();
		await new Promise((r) => setTimeout(r, 150));
		const resumed = await call(`/api/conversations/${conv.id}/stream`);
		expect(resumed.status).toBe(200);
		const chunks = parseSse(await resumed.text());
		expect(sseText(chunks)).toBe(answer);
		expect(chunks.filter((c) => c.type === 'start')).toHaveLength(1);
		// Just after the end, a late reconnect still gets the whole answer, once.
		const late = parseSse(await (await call(`/api/conversations/${conv.id}/stream`)).text());
		expect(sseText(late)).toBe(answer);
		expect(late.at(-1)).toMatchObject({ type: 'finish' });
		// A conversation with no answer has nothing to resume.
		const empty = await newConversation();
		expect((await call(`/api/conversations/${empty.id}/stream`)).status).toBe(204);
	});

	it('stops a generation on request and keeps its text', async () => {
		const conv = await newConversation();
		fake.enqueue({ text: 'lent '.repeat(300), tokensPerSecond: 40 });
		const res = await call(`/api/conversations/${conv.id}/messages`, { method: 'POST', json: { trigger: 'submit-message', text: 'Parle longtemps' } });
		const messageId = res.headers.get('x-message-id')!;
		await new Promise((r) => setTimeout(r, 300));
		const stop = await call(`/api/messages/${messageId}/stop`, { method: 'POST' });
		expect(await stop.json()).toEqual({ stopped: true });
		const chunks = parseSse(await res.text());
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'stopped' } });
		const saved = await (await call(`/api/conversations/${conv.id}`)).json();
		expect(saved.messages[1].metadata.status).toBe('stopped');
		expect(saved.messages[1].parts[0].text).toBe(sseText(chunks));
	});

	it('renames, switches model and deletes a conversation', async () => {
		const conv = await newConversation();
		let res = await call(`/api/conversations/${conv.id}`, { method: 'PATCH', json: { title: '  Mon dossier  ', modelId: 'fake-large' } });
		expect(res.status).toBe(200);
		expect((await res.json()).conversation).toMatchObject({ title: 'Mon dossier', modelId: 'fake-large', titleSource: 'user' });
		res = await call(`/api/conversations/${conv.id}`, { method: 'DELETE' });
		expect(res.status).toBe(204);
		expect((await call(`/api/conversations/${conv.id}`)).status).toBe(404);
		expect((await call(`/c/${conv.id}`)).status).toBe(404);
	});

	it('answers bad input with a clear 4xx, never a 500', async () => {
		const conv = await newConversation();
		const cases: Array<[string, RequestInit & { json?: unknown }, number, RegExp]> = [
			[`/api/conversations/${conv.id}/messages`, { method: 'POST', json: { trigger: 'submit-message', text: 'x'.repeat(40_000) } }, 413, /too long/],
			[`/api/conversations/${conv.id}/messages`, { method: 'POST', json: { trigger: 'submit-message', text: '  ' } }, 400, /empty/],
			[`/api/conversations/${conv.id}/messages`, { method: 'POST', json: { trigger: 'nope' } }, 400, /trigger/],
			[`/api/conversations/${conv.id}/messages`, { method: 'POST', json: { trigger: 'submit-message', text: 'a', messageId: 'pas-un-uuid' } }, 400, /UUID/],
			[`/api/conversations/${conv.id}/messages`, { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
			[`/api/conversations/${conv.id}/messages`, { method: 'POST', body: '<a/>', headers: { 'content-type': 'application/xml' } }, 415, /JSON/],
			[`/api/conversations/${conv.id}/messages`, { method: 'POST', json: { trigger: 'regenerate-message' } }, 400, /no question/],
			[`/api/conversations/${conv.id}`, { method: 'PATCH', json: { title: 't'.repeat(201) } }, 413, /too long/],
			[`/api/conversations/${conv.id}`, { method: 'PATCH', json: { title: '   ' } }, 400, /empty/],
			[`/api/conversations/${conv.id}`, { method: 'PATCH', json: {} }, 400, /nothing to change/],
			[`/api/conversations/${conv.id}`, { method: 'PATCH', json: { modelId: 'gpt-99' } }, 400, /Unknown model/],
			['/api/conversations', { method: 'POST', json: { modelId: 'gpt-99' } }, 400, /Unknown model/],
			[`/api/conversations/${crypto.randomUUID()}`, {}, 404, /not found/],
			[`/api/conversations/${crypto.randomUUID()}/messages`, { method: 'POST', json: { trigger: 'submit-message', text: 'a' } }, 404, /not found/],
			[`/api/messages/${crypto.randomUUID()}/stop`, { method: 'POST' }, 404, /not found/],
			[`/api/conversations?q=${'a'.repeat(300)}`, {}, 400, /too long/]
		];
		for (const [path, init, status, message] of cases) {
			const res = await call(path, init);
			expect.soft(res.status, `${init.method ?? 'GET'} ${path.slice(0, 60)}`).toBe(status);
			expect.soft((await res.json()).error.message).toMatch(message);
		}
		// A body above BODY_SIZE_LIMIT is refused before any handler runs.
		const huge = await call(`/api/conversations/${conv.id}/messages`, {
			method: 'POST',
			json: { trigger: 'submit-message', text: 'x'.repeat(600 * 1024) }
		});
		expect(huge.status).toBe(413);
		// Nothing above reached the model or lost the conversation.
		expect((await call(`/api/conversations/${conv.id}`)).status).toBe(200);
	});
});

describe('start-up configuration', () => {
	it('stops with a message naming the bad field of the model configuration', async () => {
		const fs = await import('node:fs');
		const file = `${process.env.TMPDIR ?? '/tmp'}/bad-models-${Date.now()}.json`;
		fs.writeFileSync(file, JSON.stringify({ providers: [{ id: 'p', baseURL: 'not a url' }], models: [{ id: 'm', label: 'M', provider: 'p', upstreamModel: 'm' }] }));
		const { code, output } = await runStartScript({ MODELS_CONFIG: file });
		expect(code).toBe(78);
		expect(output).toMatch(/providers\.0\.baseURL/);
	});

	it('refuses a non-loopback address in local mode', async () => {
		const { code, output } = await runStartScript({ HOST: '0.0.0.0' });
		expect(code).toBe(78);
		expect(output).toMatch(/HOST=0\.0\.0\.0 is refused/);
	});

	it('listens on loopback only in local mode, even when the build is started directly without HOST', async () => {
		const { spawn } = await import('node:child_process');
		const fs = await import('node:fs');
		const os = await import('node:os');
		const path = await import('node:path');
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assistant-ia-'));
		const child = spawn(process.execPath, ['build/index.js'], { env: { PATH: process.env.PATH, PORT: '0', DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
		let output = '';
		child.stdout!.on('data', (d) => (output += d));
		child.stderr!.on('data', (d) => (output += d));
		try {
			await expect.poll(() => output, { timeout: 20_000 }).toMatch(/Listening on/);
			expect(output).toMatch(/Listening on http:\/\/127\.0\.0\.1:\d+/);
		} finally {
			child.kill('SIGTERM');
			await new Promise((r) => child.once('exit', r));
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
	});

	it('starts without any model and says what the operator must set', async () => {
		const app = await startAppServer({});
		try {
			expect(app.output()).toMatch(/No model is configured: set MODELS_CONFIG/);
			const page = await (await fetch(app.url + '/')).text();
			expect(page).toContain('Aucun modèle n’est configuré');
			const conv = await (await fetch(app.url + '/api/conversations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
			const res = await fetch(`${app.url}/api/conversations/${conv.conversation.id}/messages`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ trigger: 'submit-message', text: 'allô ?' })
			});
			expect(res.status).toBe(503);
			expect((await res.json()).error.message).toMatch(/MODELS_CONFIG or OPENAI_BASE_URL/);
		} finally {
			await app.stop();
		}
	});
});

describe.runIf(TEST_DB === 'postgres')('health check', () => {
	it('answers 503 when the database stops answering, and the server survives it', async () => {
		const { createPostgresDatabase } = await import('../helpers/database');
		const db = await createPostgresDatabase();
		const app = await startAppServer({ databaseUrl: db.url });
		try {
			expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
			await db.drop();
			const res = await fetch(`${app.url}/healthz`);
			expect(res.status).toBe(503);
			expect(await res.json()).toMatchObject({ status: 'unavailable' });
			expect(app.process.exitCode).toBeNull();
		} finally {
			await app.stop();
		}
	});
});

describe('cross-site protection in local mode', () => {
	it('accepts the page’s own writes and refuses another origin’s', async () => {
		const app = await startAppServer({});
		try {
			const host = new URL(app.url).host;
			const post = (origin: string) =>
				fetch(`${app.url}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json', origin, 'sec-fetch-site': origin.includes(host) ? 'same-origin' : 'cross-site' }, body: '{}' });
			expect((await post(`http://${host}`)).status).toBe(201);
			expect((await post('http://evil.example')).status).toBe(403);
		} finally {
			await app.stop();
		}
	});
});
