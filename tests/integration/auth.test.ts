import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { Browser } from '../helpers/http-browser';
import { startOidcApp } from '../helpers/oidc-app';
import { TEST_DB } from '../helpers/database';

type OidcApp = Awaited<ReturnType<typeof startOidcApp>>;

describe(`sign-in through the administration's SSO (${TEST_DB})`, () => {
	let fake: FakeOpenAI;
	let env: OidcApp;
	const json = (browser: Browser, path: string, init: RequestInit & { json?: unknown } = {}) =>
		browser
			.fetch(env.app.url + path, {
				...init,
				headers: { ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
				body: init.json !== undefined ? JSON.stringify(init.json) : init.body
			})
			.then(async (r) => ({ status: r.status, headers: r.headers, body: r.status === 204 ? null : await r.json().catch(() => null) }));

	beforeAll(async () => {
		fake = await startFakeOpenAI({ apiKey: 'test-key' });
		env = await startOidcApp({ modelBaseURL: fake.url });
	});
	afterAll(async () => {
		await env?.stop();
		await fake?.close();
	});

	it('sends anonymous visitors to sign in, and refuses anonymous API calls', async () => {
		const page = await fetch(`${env.app.url}/c/123?x=1`, { redirect: 'manual' });
		expect(page.status).toBe(303);
		expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fc%2F123%3Fx%3D1');
		const api = await fetch(`${env.app.url}/api/conversations`);
		expect(api.status).toBe(401);
		expect((await api.json()).error.code).toBe('unauthenticated');
		expect((await fetch(`${env.app.url}/healthz`)).status).toBe(200);
	});

	it('signs in with PKCE, state and nonce, creates the person from the claims, and sets a safe cookie', async () => {
		const browser = new Browser();
		const login = await browser.fetch(`${env.app.url}/auth/login?returnTo=%2Faccount`);
		expect(login.status).toBe(303);
		const authorize = new URL(login.headers.get('location')!);
		expect(authorize.origin).toBe(env.provider.issuer);
		expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
		expect(authorize.searchParams.get('state')).toBeTruthy();
		expect(authorize.searchParams.get('nonce')).toBeTruthy();
		expect(login.headers.get('set-cookie')).toMatch(/aia_signin=.*HttpOnly.*SameSite=Lax/i);

		let step = await browser.navigate(authorize.href);
		expect(step.kind === 'page' && step.html).toContain('Se connecter');
		const res = { setCookie: '' };
		const origFetch = browser.fetch.bind(browser);
		browser.fetch = async (url, init) => {
			const r = await origFetch(url, init);
			if (String(url).includes('/auth/callback')) res.setCookie = r.headers.getSetCookie().join('\n');
			return r;
		};
		step = await browser.submit(step, { login: 'alice' });
		expect(step.url).toBe(`${env.app.url}/account`);
		expect(res.setCookie).toMatch(/aia_session=[\w-]{40,}; .*HttpOnly/i);
		expect(res.setCookie).toMatch(/aia_session=.*SameSite=Lax/i);
		expect(step.kind === 'page' && step.html).toContain('alice@interieur.gouv.fr');
		expect(step.kind === 'page' && step.html).toContain('11000201100044');
		const me = await json(browser, '/api/sessions');
		expect(me.status).toBe(200);
		expect(me.body.sessions).toHaveLength(1);
		expect(me.body.sessions[0].current).toBe(true);
	});

	it('lets an allowed person chat, and never another person’s conversations', async () => {
		const { browser: bob, landedOn } = await env.signIn('bob');
		expect(landedOn).toBe('/');
		const created = await json(bob, '/api/conversations', { method: 'POST', json: {} });
		expect(created.status).toBe(201);
		const turn = await bob.fetch(`${env.app.url}/api/conversations/${created.body.conversation.id}/messages`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ trigger: 'submit-message', text: 'Bonjour' })
		});
		expect(turn.status).toBe(200);
		expect(await turn.text()).toContain('"finish"');
		const { browser: alice } = await env.signIn('alice');
		expect((await json(alice, `/api/conversations/${created.body.conversation.id}`)).status).toBe(404);
		expect((await json(alice, '/api/conversations')).body.conversations.map((c: { id: string }) => c.id)).not.toContain(created.body.conversation.id);
	});

	it('puts a person the policy does not allow on the waitlist; an admin approves them', async () => {
		const { browser: carol, landedOn, html } = await env.signIn('carol', '/c/abc');
		expect(landedOn).toBe('/waitlist');
		expect(html).toContain('pas encore ouvert');
		const refused = await json(carol, '/api/conversations');
		expect(refused.status).toBe(403);
		expect(refused.body.error.code).toBe('waitlisted');

		const { browser: alice } = await env.signIn('alice');
		const waitlist = await json(alice, '/api/admin/users?access=pending');
		const entry = waitlist.body.users.find((u: { email: string }) => u.email === 'carol@example.org');
		expect(entry).toMatchObject({ access: 'pending', name: 'Carol Petit' });
		expect((await json(alice, `/api/admin/users/${entry.id}`, { method: 'PATCH', json: { access: 'granted' } })).status).toBe(200);
		expect((await json(carol, '/api/conversations')).status).toBe(200);
	});

	it('opens access with an activation code, within its number of uses', async () => {
		const { browser: alice } = await env.signIn('alice');
		const made = await json(alice, '/api/admin/codes', { method: 'POST', json: { label: 'Équipe pilote', maxUses: 1, expiresInDays: 7 } });
		expect(made.status).toBe(201);
		expect(made.body.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);

		const { browser: frank } = await env.signIn('frank');
		const wrong = await json(frank, '/api/account/activate', { method: 'POST', json: { code: 'AAAA-BBBB-CCCC' } });
		expect(wrong.status).toBe(400);
		expect(wrong.body.error.message).toMatch(/not valid/);
		const ok = await json(frank, '/api/account/activate', { method: 'POST', json: { code: made.body.code.toLowerCase().replace(/-/g, ' ') } });
		expect(ok.status).toBe(200);
		expect((await json(frank, '/api/conversations')).status).toBe(200);

		const { browser: grace } = await env.signIn('grace');
		const used = await json(grace, '/api/account/activate', { method: 'POST', json: { code: made.body.code } });
		expect(used.status).toBe(400);
		const codes = await json(alice, '/api/admin/codes');
		expect(codes.body.codes[0]).toMatchObject({ label: 'Équipe pilote', uses: 1, maxUses: 1 });
		expect(JSON.stringify(codes.body)).not.toContain(made.body.code);
	});

	it('keeps admin pages for admins; an admin can promote another person', async () => {
		const { browser: bob } = await env.signIn('bob');
		expect((await json(bob, '/api/admin/users')).status).toBe(403);
		const page = await bob.fetch(`${env.app.url}/admin`);
		expect(page.status).toBe(303);
		const { browser: alice } = await env.signIn('alice');
		const list = await json(alice, '/api/admin/users?search=bob');
		expect(list.body.total).toBe(1);
		const bobId = list.body.users[0].id;
		expect((await json(alice, `/api/admin/users/${bobId}`, { method: 'PATCH', json: { role: 'admin' } })).body.user.role).toBe('admin');
		expect((await json(bob, '/api/admin/users')).status).toBe(200);
		const self = list.body.users[0].id;
		expect(self).toBeTruthy();
		const myId = (await json(alice, '/api/admin/users?search=alice')).body.users[0].id;
		expect((await json(alice, `/api/admin/users/${myId}`, { method: 'PATCH', json: { role: 'user' } })).status).toBe(400);
		expect((await json(alice, `/api/admin/users?page=0`)).status).toBe(400);
	});

	it('lists a person’s sessions and ends one from another browser; a new sign-in rotates the session', async () => {
		const first = (await env.signIn('bob')).browser;
		const second = (await env.signIn('bob')).browser;
		const sessions = await json(second, '/api/sessions');
		const other = sessions.body.sessions.filter((s: { current: boolean }) => !s.current);
		expect(other.length).toBeGreaterThanOrEqual(1);
		for (const s of other) expect((await json(second, `/api/sessions/${s.id}`, { method: 'DELETE' })).status).toBe(204);
		expect((await json(first, '/api/conversations')).status).toBe(401);
		expect((await json(second, '/api/conversations')).status).toBe(200);
		expect((await json(second, `/api/sessions/not-mine`, { method: 'DELETE' })).status).toBe(404);

		const before = second.cookie('aia_session');
		await env.signIn('bob', '/', second);
		expect(second.cookie('aia_session')).not.toBe(before);
		const stale = await fetch(`${env.app.url}/api/conversations`, { headers: { cookie: `aia_session=${before}` } });
		expect(stale.status).toBe(401);
	});

	it('signs out here and at the provider (RP-initiated logout)', async () => {
		const { browser } = await env.signIn('bob');
		const out = await browser.fetch(`${env.app.url}/auth/logout`, { method: 'POST', headers: { origin: env.origin } });
		expect(out.status).toBe(303);
		const endSession = new URL(out.headers.get('location')!);
		expect(endSession.origin).toBe(env.provider.issuer);
		expect(endSession.searchParams.get('id_token_hint')).toBeTruthy();
		expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${env.origin}/auth/signed-out`);
		expect((await json(browser, '/api/conversations')).status).toBe(401);
		// After logging out at the provider too, signing in asks for the login again.
		const page = await browser.navigate(endSession.href);
		if (page.kind === 'page' && page.html.includes('<form')) await browser.submit(page);
		const again = await browser.navigate(`${env.app.url}/auth/login`);
		expect(again.kind === 'page' && again.html).toContain('name="login"');
	});

	it.each([
		['expired ID token', 'id_token_expired', (c: Record<string, unknown>) => (c.exp = Math.floor(Date.now() / 1000) - 3600)],
		['wrong audience', 'wrong_audience', (c: Record<string, unknown>) => (c.aud = 'another-service')]
	])('refuses a sign-in with an %s with a clear page', async (_, code, edit) => {
		env.provider.tamperNextIdToken(edit);
		const { landedOn, html } = await env.signIn('bob');
		expect(landedOn).toBe(`/auth/error?code=${code}`);
		expect(html).toContain('La connexion a échoué');
	});

	it('refuses a missing email, a wrong state and a replayed code', async () => {
		expect((await env.signIn('dave')).landedOn).toBe('/auth/error?code=missing_email');

		// Wrong state: a callback that does not belong to this browser's sign-in.
		const browser = new Browser(env.app.url + '/auth/callback');
		const start = await browser.navigate(`${env.app.url}/auth/login`);
		const login = start.kind === 'page' ? await browser.submit(start, { login: 'bob' }) : start;
		expect(login.kind).toBe('app');
		const forged = new URL(login.url);
		forged.searchParams.set('state', 'forged-state');
		const wrong = await browser.fetch(forged.href);
		expect(wrong.headers.get('location')).toBe('/auth/error?code=state_mismatch');

		// Replay: the same callback URL used twice is refused the second time.
		const b2 = new Browser(env.app.url + '/auth/callback');
		const s2 = await b2.navigate(`${env.app.url}/auth/login`);
		const l2 = s2.kind === 'page' ? await b2.submit(s2, { login: 'bob' }) : s2;
		const first = await b2.fetch(l2.url);
		expect(first.headers.get('location')).toBe('/');
		const replay = await b2.fetch(l2.url);
		expect(replay.headers.get('location')).toMatch(/^\/auth\/error\?code=/);
	});

	it('refuses cross-site writes (CSRF) and sends security headers', async () => {
		const { browser } = await env.signIn('bob');
		const csrf = await json(browser, '/api/conversations', { method: 'POST', json: {}, headers: { origin: 'http://evil.example' } });
		expect(csrf.status).toBe(403);
		const site = await json(browser, '/api/conversations', { method: 'POST', json: {}, headers: { 'sec-fetch-site': 'cross-site' } });
		expect(site.status).toBe(403);
		const same = await json(browser, '/api/conversations', { method: 'POST', json: {}, headers: { origin: env.origin, 'sec-fetch-site': 'same-origin' } });
		expect(same.status).toBe(201);
		const page = await browser.fetch(`${env.app.url}/`);
		expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
		expect(page.headers.get('referrer-policy')).toBe('same-origin');
		expect(page.headers.get('permissions-policy')).toMatch(/camera=\(\)/);
	});

	it('deleting a person deletes their data and ends all their sessions', async () => {
		const { browser: grace } = await env.signIn('grace');
		const { browser: alice } = await env.signIn('alice');
		const id = (await json(alice, '/api/admin/users?search=grace')).body.users[0].id;
		expect((await json(alice, `/api/admin/users/${id}`, { method: 'DELETE' })).status).toBe(204);
		expect((await json(grace, '/api/sessions')).status).toBe(401);
	});

	it('logs user ids, never emails or names', () => {
		const logs = env.app.output();
		expect(logs).toMatch(/\[auth\] user [0-9a-f-]{36} signed in/);
		for (const secret of ['alice@interieur.gouv.fr', 'carol@example.org', 'Martin', 'test-client-secret']) expect(logs).not.toContain(secret);
	});
});
