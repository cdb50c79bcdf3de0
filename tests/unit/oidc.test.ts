import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { calculatePKCECodeChallenge } from 'openid-client';
import {
	identityFromClaims,
	OidcClient,
	OidcSignInError,
	type OidcSettings,
	type OidcSignInErrorCode,
	type PendingSignIn
} from '../../src/lib/server/auth/oidc';
import { startOidcProvider, type TestOidcProvider } from '../fixtures/oidc-provider';
import { Browser, type Step } from '../helpers/http-browser';

/** The app is never started: the "browser" stops at the first redirect to it. */
const APP = 'http://127.0.0.1:5999';
const REDIRECT_URI = `${APP}/auth/callback`;
const POST_LOGOUT_URI = `${APP}/`;

const ACCOUNTS = {
	// ProConnect-like: usual_name instead of family_name, siret, organizational unit.
	marie: {
		sub: 'marie',
		email: 'marie.curie@finances.gouv.fr',
		given_name: 'Marie',
		usual_name: 'Curie',
		siret: '11000201100044',
		organizational_unit: 'DGFiP'
	},
	// Keycloak-like: family_name and realm roles.
	jean: { sub: 'jean', email: 'jean.dupont@interieur.gouv.fr', given_name: 'Jean', family_name: 'Dupont', roles: ['admin', 'user'] },
	noEmail: { sub: 'sans-courriel', given_name: 'Anonyme' }
};

let op: TestOidcProvider;
let proconnect: OidcClient;
let keycloak: OidcClient;

const settings = (clientId: string, scopes: string): OidcSettings => ({
	issuer: op.issuer,
	clientId,
	clientSecret: `${clientId}-secret`,
	redirectUri: REDIRECT_URI,
	postLogoutRedirectUri: POST_LOGOUT_URI,
	scopes,
	allowHttp: true
});

beforeAll(async () => {
	const client = (client_id: string) => ({
		client_id,
		client_secret: `${client_id}-secret`,
		redirect_uris: [REDIRECT_URI],
		post_logout_redirect_uris: [POST_LOGOUT_URI]
	});
	op = await startOidcProvider({
		clients: [{ ...client('proconnect-app'), userinfo_signed_response_alg: 'RS256' }, client('keycloak-app')],
		accounts: Object.values(ACCOUNTS)
	});
	proconnect = await OidcClient.discover(
		settings('proconnect-app', 'openid email given_name usual_name siret organizational_unit')
	);
	keycloak = await OidcClient.discover(settings('keycloak-app', 'openid email profile roles'));
});

afterAll(async () => {
	await op?.close();
});

// ---------------------------------------------------------------------------
// A tiny browser: cookie jar + manual redirects + HTML forms
// ---------------------------------------------------------------------------

/** begin() → provider (login form when needed) → the callback URL the app would receive. */
async function signIn(
	oidc: OidcClient,
	login: string,
	browser = new Browser(APP)
): Promise<{ callbackUrl: URL; pending: PendingSignIn }> {
	const { url, pending } = await oidc.begin('/conversations/42');
	let step = await browser.navigate(url);
	if (step.kind === 'page') step = await browser.submit(step, { login });
	if (step.kind !== 'app') throw new Error(`sign-in did not come back to the app:\n${step.html}`);
	return { callbackUrl: new URL(step.url), pending };
}

async function expectSignInError(promise: Promise<unknown>, code: OidcSignInErrorCode): Promise<OidcSignInError> {
	const error = await promise.then(
		() => undefined,
		(e: unknown) => e
	);
	expect(error).toBeInstanceOf(OidcSignInError);
	expect((error as OidcSignInError).code).toBe(code);
	expect((error as OidcSignInError).message).toMatch(/^[A-Z].*[.:]/); // a sentence for the person
	return error as OidcSignInError;
}

// ---------------------------------------------------------------------------

describe('OidcClient sign-in flow', () => {
	it('builds an authorization URL with PKCE S256, state and nonce', async () => {
		const { url, pending } = await proconnect.begin('/conversations/42');
		const params = new URL(url).searchParams;
		expect(url.startsWith(`${op.issuer}/auth?`)).toBe(true);
		expect(Object.fromEntries(params)).toMatchObject({
			client_id: 'proconnect-app',
			redirect_uri: REDIRECT_URI,
			response_type: 'code',
			scope: 'openid email given_name usual_name siret organizational_unit',
			code_challenge_method: 'S256',
			code_challenge: await calculatePKCECodeChallenge(pending.codeVerifier),
			state: pending.state,
			nonce: pending.nonce
		});
		expect(pending.returnTo).toBe('/conversations/42');
		expect(Date.now() - pending.createdAt).toBeLessThan(5_000);
		// Only same-site paths are kept as the place to go back to.
		expect((await proconnect.begin('https://evil.example/')).pending.returnTo).toBe('/');
		expect((await proconnect.begin('//evil.example/')).pending.returnTo).toBe('/');
	});

	it('shows a plain login form, then signs a ProConnect-like agent in (JWT userinfo)', async () => {
		const browser = new Browser(APP);
		const { url, pending } = await proconnect.begin('/');
		const loginPage = await browser.navigate(url);
		expect(loginPage.kind).toBe('page');
		const html = (loginPage as { html: string }).html;
		expect(html).toMatch(/<form method="post"/);
		expect(html).toContain('name="login"');
		expect(html).toContain('>Se connecter</button>');

		const back = await browser.submit(loginPage, { login: 'marie' });
		expect(back.kind).toBe('app');
		const callbackUrl = new URL(back.url);
		expect(callbackUrl.searchParams.get('code')).toBeTruthy();

		const fetchSpy = vi.spyOn(globalThis, 'fetch');
		try {
			const { identity, idToken } = await proconnect.complete(callbackUrl, pending);
			expect(identity).toMatchObject({
				issuer: op.issuer,
				subject: 'marie',
				email: 'marie.curie@finances.gouv.fr',
				emailVerified: true,
				givenName: 'Marie',
				familyName: 'Curie',
				name: 'Marie Curie',
				siret: '11000201100044',
				organization: 'DGFiP',
				roles: []
			});
			expect(identity.claims).toMatchObject({ usual_name: 'Curie', siret: '11000201100044' });
			expect(idToken.split('.')).toHaveLength(3);

			const userinfoCall = fetchSpy.mock.calls.findIndex(([input]) => String(input).endsWith('/me'));
			expect(userinfoCall).toBeGreaterThanOrEqual(0);
			const userinfo = (await fetchSpy.mock.results[userinfoCall].value) as Response;
			expect(userinfo.headers.get('content-type')).toMatch(/^application\/jwt/);
		} finally {
			fetchSpy.mockRestore();
		}
	});

	it('signs a Keycloak-like user in with roles (JSON userinfo)', async () => {
		const { callbackUrl, pending } = await signIn(keycloak, 'jean');
		const { identity } = await keycloak.complete(callbackUrl, pending);
		expect(identity).toMatchObject({
			subject: 'jean',
			email: 'jean.dupont@interieur.gouv.fr',
			givenName: 'Jean',
			familyName: 'Dupont',
			name: 'Jean Dupont',
			siret: null,
			organization: null,
			roles: ['admin', 'user']
		});
		expect(identity.claims.realm_access).toEqual({ roles: ['admin', 'user'] });
	});

	it('logs out at the provider through endSessionUrl', async () => {
		const browser = new Browser(APP);
		const first = await signIn(keycloak, 'jean', browser);
		const { idToken } = await keycloak.complete(first.callbackUrl, first.pending);

		// Single sign-on: while the provider session lives, no login form.
		expect((await browser.navigate((await keycloak.begin('/')).url)).kind).toBe('app');

		const logoutUrl = new URL(keycloak.endSessionUrl(idToken, 'bye')!);
		expect(logoutUrl.href.startsWith(`${op.issuer}/session/end?`)).toBe(true);
		expect(Object.fromEntries(logoutUrl.searchParams)).toMatchObject({
			id_token_hint: idToken,
			post_logout_redirect_uri: POST_LOGOUT_URI,
			client_id: 'keycloak-app',
			state: 'bye'
		});

		const confirm = await browser.navigate(logoutUrl.href);
		expect(confirm.kind).toBe('page'); // auto-submitted by a script in a real browser
		const done = await browser.submit(confirm);
		expect(done.kind).toBe('app');
		expect(done.url).toBe(`${POST_LOGOUT_URI}?state=bye`);

		const after = await browser.navigate((await keycloak.begin('/')).url);
		expect(after.kind).toBe('page');
		expect((after as { html: string }).html).toContain('name="login"');
	});
});

describe('OidcClient sign-in failures', () => {
	it('state_mismatch: the callback belongs to another sign-in attempt', async () => {
		const { callbackUrl } = await signIn(keycloak, 'jean');
		const { pending: otherPending } = await keycloak.begin('/');
		await expectSignInError(keycloak.complete(callbackUrl, otherPending), 'state_mismatch');

		const noState = new URL(callbackUrl);
		noState.searchParams.delete('state');
		await expectSignInError(keycloak.complete(noState, otherPending), 'state_mismatch');
	});

	it('invalid_grant: the same callback URL cannot be used twice', async () => {
		const { callbackUrl, pending } = await signIn(keycloak, 'jean');
		await keycloak.complete(callbackUrl, pending);
		await expectSignInError(keycloak.complete(callbackUrl, pending), 'invalid_grant');
	});

	it('invalid_grant: a wrong PKCE verifier is refused by the provider', async () => {
		const { callbackUrl, pending } = await signIn(keycloak, 'jean');
		await expectSignInError(keycloak.complete(callbackUrl, { ...pending, codeVerifier: 'x'.repeat(43) }), 'invalid_grant');
	});

	it('id_token_expired', async () => {
		const { callbackUrl, pending } = await signIn(keycloak, 'jean');
		op.tamperNextIdToken((claims) => {
			claims.exp = Math.floor(Date.now() / 1000) - 3600;
		});
		await expectSignInError(keycloak.complete(callbackUrl, pending), 'id_token_expired');
	});

	it('wrong_audience', async () => {
		const { callbackUrl, pending } = await signIn(keycloak, 'jean');
		op.tamperNextIdToken((claims) => {
			claims.aud = 'another-app';
		});
		await expectSignInError(keycloak.complete(callbackUrl, pending), 'wrong_audience');
	});

	it('nonce_mismatch', async () => {
		const { callbackUrl, pending } = await signIn(proconnect, 'marie');
		op.tamperNextIdToken((claims) => {
			claims.nonce = 'not-the-nonce-we-sent';
		});
		await expectSignInError(proconnect.complete(callbackUrl, pending), 'nonce_mismatch');
	});

	it('invalid_response: an ID token not signed by the provider', async () => {
		const { callbackUrl, pending } = await signIn(keycloak, 'jean');
		op.tamperNextIdToken(() => {}, { foreignKey: true });
		await expectSignInError(keycloak.complete(callbackUrl, pending), 'invalid_response');
	});

	it('missing_email', async () => {
		const { callbackUrl, pending } = await signIn(proconnect, 'sans-courriel');
		await expectSignInError(proconnect.complete(callbackUrl, pending), 'missing_email');
	});

	it('provider_error: an error sent back by the provider, with its description', async () => {
		const { pending } = await proconnect.begin('/');
		const callbackUrl = new URL(REDIRECT_URI);
		callbackUrl.search = new URLSearchParams({
			error: 'access_denied',
			error_description: "L'agent a refusé la connexion",
			state: pending.state
		}).toString();
		const error = await expectSignInError(proconnect.complete(callbackUrl, pending), 'provider_error');
		expect(error.message).toContain("L'agent a refusé la connexion");
	});

	it('provider_error: the person cancels on the login page', async () => {
		const browser = new Browser(APP);
		const { url, pending } = await proconnect.begin('/');
		const back = await browser.submit(await browser.navigate(url), { cancel: '1' });
		expect(back.kind).toBe('app');
		const error = await expectSignInError(proconnect.complete(new URL(back.url), pending), 'provider_error');
		expect(error.message).toMatch(/cancelled.*annulée/);
	});

	it('provider_unreachable: discovery of an issuer nobody listens on', async () => {
		const server = http.createServer();
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const { port } = server.address() as AddressInfo;
		await new Promise((resolve) => server.close(resolve));
		await expectSignInError(
			OidcClient.discover({ ...settings('keycloak-app', 'openid'), issuer: `http://127.0.0.1:${port}` }),
			'provider_unreachable'
		);
	});

	it('refuses http issuers unless allowed, and only on loopback', async () => {
		await expect(OidcClient.discover({ ...settings('keycloak-app', 'openid'), allowHttp: false })).rejects.toThrow(
			/must use https/
		);
		await expect(
			OidcClient.discover({ ...settings('keycloak-app', 'openid'), issuer: 'http://idp.example.gouv.fr' })
		).rejects.toThrow(/must use https/);
	});
});

describe('identityFromClaims', () => {
	const base = { sub: 'u1', email: 'a@b.fr' };

	it('reads roles from roles, groups and Keycloak realm_access', () => {
		expect(identityFromClaims('iss', { ...base, roles: ['a', 'b'] }).roles).toEqual(['a', 'b']);
		expect(identityFromClaims('iss', { ...base, groups: ['g'] }).roles).toEqual(['g']);
		expect(identityFromClaims('iss', { ...base, realm_access: { roles: ['r'] }, roles: 'a r' }).roles).toEqual([
			'a',
			'r'
		]);
	});

	it('falls back for the name and reads organization claims', () => {
		expect(identityFromClaims('iss', base).name).toBe('a@b.fr');
		expect(identityFromClaims('iss', { ...base, name: 'Jeanne' }).name).toBe('Jeanne');
		expect(identityFromClaims('iss', { ...base, family_name: 'Dupont' }).name).toBe('Dupont');
		expect(identityFromClaims('iss', { ...base, organization: 'Mairie' }).organization).toBe('Mairie');
		expect(identityFromClaims('iss', base).emailVerified).toBeNull();
	});
});
