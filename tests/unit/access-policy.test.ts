import { describe, expect, it } from 'vitest';
import { decideAccess } from '../../src/lib/server/auth/policy';
import { classifyPath, isCrossSiteWrite, safeReturnTo } from '../../src/lib/server/auth/guard';
import { readAuthConfig } from '../../src/lib/server/auth/config';
import type { AccessPolicy } from '../../src/lib/server/auth/config';
import type { Identity } from '../../src/lib/server/auth/oidc';

const person = (email: string, extra: Partial<Identity> = {}): Identity => ({
	issuer: 'https://idp.example',
	subject: email,
	email,
	emailVerified: true,
	givenName: null,
	familyName: null,
	name: email,
	siret: null,
	organization: null,
	roles: [],
	claims: {},
	...extra
});

const restricted: AccessPolicy = { mode: 'restricted', allowedEmails: ['invite@example.org'], allowedDomains: ['interieur.gouv.fr'], requiredClaim: null };

describe('access policy', () => {
	it('lets in listed emails, listed domains and their subdomains, and admins', () => {
		expect(decideAccess(person('invite@example.org'), restricted, [])).toEqual({ access: 'granted', reason: 'allowed_email' });
		expect(decideAccess(person('Agent@Interieur.Gouv.Fr'), restricted, [])).toMatchObject({ access: 'granted', reason: 'allowed_domain' });
		expect(decideAccess(person('a@prefecture.interieur.gouv.fr'), restricted, [])).toMatchObject({ access: 'granted' });
		expect(decideAccess(person('a@fakeinterieur.gouv.fr'), restricted, [])).toMatchObject({ access: 'pending', reason: 'not_listed' });
		expect(decideAccess(person('boss@example.org'), restricted, ['boss@example.org'])).toMatchObject({ access: 'granted', reason: 'admin' });
	});

	it('opens to everyone in open mode, but a required claim is required in every mode', () => {
		const open: AccessPolicy = { ...restricted, mode: 'open', requiredClaim: { name: 'roles', value: 'assistant-users' } };
		expect(decideAccess(person('x@example.org', { roles: ['assistant-users'] }), open, [])).toMatchObject({ access: 'granted', reason: 'open' });
		expect(decideAccess(person('x@example.org'), open, [])).toMatchObject({ access: 'pending', reason: 'missing_required_claim' });
		const siret: AccessPolicy = { ...restricted, requiredClaim: { name: 'siret', value: null } };
		expect(decideAccess(person('a@interieur.gouv.fr'), siret, [])).toMatchObject({ access: 'pending' });
		expect(decideAccess(person('a@interieur.gouv.fr', { claims: { siret: '110' } }), siret, [])).toMatchObject({ access: 'granted' });
		const keycloak: AccessPolicy = { ...restricted, mode: 'open', requiredClaim: { name: 'realm_access.roles', value: 'agents' } };
		expect(decideAccess(person('k@example.org', { claims: { realm_access: { roles: ['agents'] } } }), keycloak, [])).toMatchObject({ access: 'granted' });
	});
});

describe('request guard', () => {
	it('classifies paths', () => {
		expect(classifyPath('/auth/callback')).toBe('public');
		expect(classifyPath('/healthz')).toBe('public');
		expect(classifyPath('/_app/immutable/x.js')).toBe('public');
		expect(classifyPath('/admin')).toBe('admin');
		expect(classifyPath('/api/admin/users')).toBe('admin');
		expect(classifyPath('/waitlist')).toBe('waitlist');
		expect(classifyPath('/api/sessions/abc')).toBe('waitlist');
		expect(classifyPath('/c/1')).toBe('user');
		expect(classifyPath('/authx')).toBe('user');
	});

	it('only returns to local paths after sign-in', () => {
		expect(safeReturnTo('/c/1?x=2')).toBe('/c/1?x=2');
		for (const bad of ['https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '/auth/logout', null]) expect(safeReturnTo(bad)).toBe('/');
	});

	it('refuses cross-site writes only', () => {
		const req = (method: string, headers: Record<string, string>) => new Request('http://app.example/api/x', { method, headers });
		expect(isCrossSiteWrite(req('POST', { origin: 'http://evil.example' }), 'http://app.example')).toBe(true);
		expect(isCrossSiteWrite(req('DELETE', { 'sec-fetch-site': 'same-site' }), 'http://app.example')).toBe(true);
		expect(isCrossSiteWrite(req('POST', { origin: 'http://app.example', 'sec-fetch-site': 'same-origin' }), 'http://app.example')).toBe(false);
		expect(isCrossSiteWrite(req('GET', { origin: 'http://evil.example' }), 'http://app.example')).toBe(false);
		expect(isCrossSiteWrite(req('POST', {}), 'http://app.example')).toBe(false);
		expect(isCrossSiteWrite(req('POST', { origin: 'null' }), 'http://app.example')).toBe(true);
		// Without ORIGIN, adapter-node guesses https behind a proxy: the host is what counts.
		expect(isCrossSiteWrite(req('POST', { origin: 'http://app.example' }), 'https://app.example')).toBe(false);
	});
});

describe('sign-in configuration', () => {
	it('is local mode without an issuer', () => {
		expect(readAuthConfig({}).auth).toEqual({ mode: 'local' });
	});
	it('needs a client id and a public origin with an issuer, and names what is missing', () => {
		expect(() => readAuthConfig({ OIDC_ISSUER: 'https://idp.example' })).toThrow(/OIDC_CLIENT_ID/);
		expect(() => readAuthConfig({ OIDC_ISSUER: 'https://idp.example', OIDC_CLIENT_ID: 'x' })).toThrow(/ORIGIN/);
		expect(() => readAuthConfig({ OIDC_ISSUER: 'not a url' })).toThrow(/OIDC_ISSUER/);
		expect(() => readAuthConfig({ ACCESS_POLICY: 'maybe' })).toThrow(/ACCESS_POLICY/);
		expect(() => readAuthConfig({ ACCESS_REQUIRED_CLAIM: 'a b' })).toThrow(/ACCESS_REQUIRED_CLAIM/);
	});
	it('derives redirect URIs from ORIGIN and parses the policy', () => {
		const { auth, rateLimits } = readAuthConfig({
			OIDC_ISSUER: 'https://auth.agentconnect.gouv.fr/api/v2',
			OIDC_CLIENT_ID: 'id',
			ORIGIN: 'https://assistant.example.gouv.fr/',
			ACCESS_ALLOWED_DOMAINS: '@Interieur.gouv.fr, finances.gouv.fr',
			ACCESS_REQUIRED_CLAIM: 'roles=assistant',
			ADMIN_EMAILS: 'Admin@Example.org'
		});
		expect(auth).toMatchObject({
			mode: 'oidc',
			oidc: { redirectUri: 'https://assistant.example.gouv.fr/auth/callback', postLogoutRedirectUri: 'https://assistant.example.gouv.fr/auth/signed-out', allowHttp: false },
			policy: { mode: 'restricted', allowedDomains: ['interieur.gouv.fr', 'finances.gouv.fr'], requiredClaim: { name: 'roles', value: 'assistant' } },
			adminEmails: ['admin@example.org']
		});
		expect(rateLimits).toEqual({ requestsPerMinute: 20, tokensPerDay: 500000, exemptAdmins: true });
	});
});
