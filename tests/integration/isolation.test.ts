import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { Browser } from '../helpers/http-browser';
import { startOidcApp } from '../helpers/oidc-app';
import { TEST_DB } from '../helpers/database';

/**
 * The isolation matrix: every route of the app, called anonymously and as user B on user A's
 * resources. A route added to src/routes without an entry here makes this test fail.
 */

interface Resources {
	conversation: string;
	message: string;
	session: string;
	user: string;
	code: string;
}

type Access = 'public' | 'owner' | 'admin';
interface Call {
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
	path: (r: Resources) => string;
	body?: unknown;
}
interface RouteRule {
	access: Access;
	/** Calls on user A's resource; as user B each must answer 404 (or, for lists, not show A's data). */
	calls: Call[];
}

const MATRIX: Record<string, RouteRule> = {
	'/': { access: 'owner', calls: [{ method: 'GET', path: () => '/' }] },
	'/c/[id]': { access: 'owner', calls: [{ method: 'GET', path: (r) => `/c/${r.conversation}` }] },
	'/account': { access: 'owner', calls: [{ method: 'GET', path: () => '/account' }] },
	'/waitlist': { access: 'owner', calls: [{ method: 'GET', path: () => '/waitlist' }] },
	'/admin': { access: 'admin', calls: [{ method: 'GET', path: () => '/admin' }] },
	'/api/conversations': {
		access: 'owner',
		calls: [
			{ method: 'GET', path: () => '/api/conversations' },
			{ method: 'GET', path: () => '/api/conversations?q=secret' }
		]
	},
	'/api/conversations/[id]': {
		access: 'owner',
		calls: [
			{ method: 'GET', path: (r) => `/api/conversations/${r.conversation}` },
			{ method: 'PATCH', path: (r) => `/api/conversations/${r.conversation}`, body: { title: 'volé' } },
			{ method: 'DELETE', path: (r) => `/api/conversations/${r.conversation}` }
		]
	},
	'/api/conversations/[id]/messages': {
		access: 'owner',
		calls: [{ method: 'POST', path: (r) => `/api/conversations/${r.conversation}/messages`, body: { trigger: 'submit-message', text: 'intrus' } }]
	},
	'/api/conversations/[id]/stream': { access: 'owner', calls: [{ method: 'GET', path: (r) => `/api/conversations/${r.conversation}/stream` }] },
	'/api/messages/[id]/stop': { access: 'owner', calls: [{ method: 'POST', path: (r) => `/api/messages/${r.message}/stop` }] },
	'/api/models': { access: 'owner', calls: [] },
	'/api/sessions': { access: 'owner', calls: [{ method: 'GET', path: () => '/api/sessions' }] },
	'/api/sessions/[id]': { access: 'owner', calls: [{ method: 'DELETE', path: (r) => `/api/sessions/${r.session}` }] },
	'/api/account/activate': { access: 'owner', calls: [] },
	'/api/admin/users': { access: 'admin', calls: [{ method: 'GET', path: () => '/api/admin/users' }] },
	'/api/admin/users/[id]': {
		access: 'admin',
		calls: [
			{ method: 'PATCH', path: (r) => `/api/admin/users/${r.user}`, body: { role: 'admin' } },
			{ method: 'DELETE', path: (r) => `/api/admin/users/${r.user}` }
		]
	},
	'/api/admin/codes': {
		access: 'admin',
		calls: [
			{ method: 'GET', path: () => '/api/admin/codes' },
			{ method: 'POST', path: () => '/api/admin/codes', body: { label: 'x' } }
		]
	},
	'/api/admin/codes/[id]': { access: 'admin', calls: [{ method: 'DELETE', path: (r) => `/api/admin/codes/${r.code}` }] },
	'/auth/login': { access: 'public', calls: [] },
	'/auth/callback': { access: 'public', calls: [] },
	'/auth/logout': { access: 'public', calls: [] },
	'/auth/error': { access: 'public', calls: [] },
	'/auth/signed-out': { access: 'public', calls: [] },
	'/healthz': { access: 'public', calls: [] }
};

function routeIds(dir = 'src/routes', prefix = ''): string[] {
	const ids: string[] = [];
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		if (entry.isDirectory()) ids.push(...routeIds(path.join(dir, entry.name), `${prefix}/${entry.name}`));
		else if (entry.name === '+server.ts' || entry.name === '+page.svelte') ids.push(prefix || '/');
	}
	return [...new Set(ids)];
}

describe(`isolation matrix (${TEST_DB})`, () => {
	let fake: FakeOpenAI;
	let env: Awaited<ReturnType<typeof startOidcApp>>;
	let a: Browser;
	let b: Browser;
	let admin: Browser;
	const r = {} as Resources;

	const call = (browser: Browser | null, c: Call, res: Resources) => {
		const init: RequestInit = {
			method: c.method,
			redirect: 'manual',
			headers: c.body !== undefined ? { 'content-type': 'application/json' } : {},
			body: c.body !== undefined ? JSON.stringify(c.body) : undefined
		};
		return browser ? browser.fetch(env.app.url + c.path(res), init) : fetch(env.app.url + c.path(res), init);
	};

	beforeAll(async () => {
		fake = await startFakeOpenAI({ apiKey: 'test-key' });
		fake.respond({ text: 'Le secret de A : la réunion est mardi.', tokensPerSecond: 5 });
		env = await startOidcApp({ modelBaseURL: fake.url, env: { ACCESS_POLICY: 'open' } });
		a = (await env.signIn('carol')).browser;
		b = (await env.signIn('frank')).browser;
		admin = (await env.signIn('alice')).browser;
		const created = await a.fetch(`${env.app.url}/api/conversations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
		r.conversation = (await created.json()).conversation.id;
		// A slow answer, so that A's message is still streaming while B tries to stop or resume it.
		const turn = await a.fetch(`${env.app.url}/api/conversations/${r.conversation}/messages`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ trigger: 'submit-message', text: 'Mon secret' })
		});
		r.message = turn.headers.get('x-message-id')!;
		void turn.body?.cancel();
		r.session = (await (await a.fetch(`${env.app.url}/api/sessions`)).json()).sessions[0].id;
		const users = await (await admin.fetch(`${env.app.url}/api/admin/users?search=carol`)).json();
		r.user = users.users[0].id;
		const code = await admin.fetch(`${env.app.url}/api/admin/codes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: 'matrix' }) });
		r.code = (await code.json()).activationCode.id;
	});
	afterAll(async () => {
		await env?.stop();
		await fake?.close();
	});

	it('covers every route of the app', () => {
		const missing = routeIds().filter((id) => !(id in MATRIX));
		expect(missing, 'add these routes to the isolation matrix').toEqual([]);
	});

	it('refuses anonymous callers: 401 for the API, a redirect to sign-in for pages', async () => {
		for (const [id, rule] of Object.entries(MATRIX)) {
			if (rule.access === 'public') continue;
			for (const c of rule.calls) {
				const res = await call(null, c, r);
				const where = `${c.method} ${id}`;
				if (id.startsWith('/api/')) expect.soft(res.status, where).toBe(401);
				else {
					expect.soft(res.status, where).toBe(303);
					expect.soft(res.headers.get('location'), where).toMatch(/^\/auth\/login\?returnTo=/);
				}
			}
		}
	});

	it('answers user B on user A’s resources with 404 (or 403 on admin routes), never with the data', async () => {
		for (const [id, rule] of Object.entries(MATRIX)) {
			for (const c of rule.calls) {
				const res = await call(b, c, r);
				const body = await res.text();
				const where = `${c.method} ${id}`;
				expect.soft(body, where).not.toContain('secret');
				expect.soft(body, where).not.toContain('carol');
				if (rule.access === 'admin') expect.soft(res.status, where).toBe(id.startsWith('/api/') ? 403 : 303);
				else if (/\[id\]/.test(id)) expect.soft(res.status, where).toBe(404);
				else expect.soft(res.status, where).toBeLessThan(400);
			}
		}
		// B's own list holds nothing of A's.
		const list = await (await b.fetch(`${env.app.url}/api/conversations`)).json();
		expect(list.conversations).toEqual([]);
	});

	it('left A’s data untouched and still A’s', async () => {
		const res = await a.fetch(`${env.app.url}/api/conversations/${r.conversation}`);
		expect(res.status).toBe(200);
		const body = await res.json();
		expect(body.conversation.title).not.toBe('volé');
		expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant']);
		expect((await a.fetch(`${env.app.url}/api/sessions`)).status).toBe(200);
	});
});
