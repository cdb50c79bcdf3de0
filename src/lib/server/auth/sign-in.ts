import type { Cookies } from '@sveltejs/kit';
import type { App } from '../app';
import type { AuthConfig } from './config';
import { FLOW_COOKIE, SESSION_COOKIE } from './cookies';
import { saveFlow, takeFlow } from './flows';
import { OidcSignInError } from './oidc';
import { decideAccess } from './policy';
import { createSession, endSessionByToken } from './sessions';
import { upsertUserFromIdentity } from './users';

type OidcAuth = Extract<AuthConfig, { mode: 'oidc' }>;

/** Where the browser goes next, and why when sign-in failed. */
export type SignInOutcome = { ok: true; location: string } | { ok: false; code: string };

function secure(url: URL): boolean {
	return url.protocol === 'https:' || !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

export async function beginSignIn(app: App, cookies: Cookies, url: URL, returnTo: string): Promise<SignInOutcome> {
	let oidc;
	try {
		oidc = await app.oidc();
	} catch {
		return { ok: false, code: 'provider_unreachable' };
	}
	const { url: authorizationUrl, pending } = await oidc.begin(returnTo);
	const flowId = await saveFlow(app.database.db, pending);
	// Binds the sign-in to this browser: a callback without it (login CSRF) is refused.
	cookies.set(FLOW_COOKIE, flowId, { path: '/auth', httpOnly: true, sameSite: 'lax', secure: secure(url), maxAge: 600 });
	return { ok: true, location: authorizationUrl };
}

export async function completeSignIn(
	app: App,
	auth: OidcAuth,
	cookies: Cookies,
	url: URL,
	userAgent: string | null
): Promise<SignInOutcome> {
	const flowId = cookies.get(FLOW_COOKIE);
	cookies.delete(FLOW_COOKIE, { path: '/auth' });
	const pending = flowId ? await takeFlow(app.database.db, flowId) : null;
	if (!pending) return { ok: false, code: url.searchParams.get('error') ? 'provider_error' : 'state_mismatch' };
	let result;
	try {
		result = await (await app.oidc()).complete(url, pending);
	} catch (err) {
		if (err instanceof OidcSignInError) {
			console.warn(`[auth] sign-in refused: ${err.code}`);
			return { ok: false, code: err.code };
		}
		throw err;
	}
	const { identity, idToken } = result;
	const decision = decideAccess(identity, auth.policy, auth.adminEmails);
	const user = await upsertUserFromIdentity(app.database.db, identity, decision);
	console.log(`[auth] user ${user.id} signed in (${user.access}, ${decision.reason})`);

	// A new session at every sign-in (no fixation): any previous one in this browser ends.
	const previous = cookies.get(SESSION_COOKIE);
	if (previous) await endSessionByToken(app.database.db, previous);
	const { token } = await createSession(app.database.db, user.id, auth.session, { userAgent, idToken });
	cookies.set(SESSION_COOKIE, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: secure(url),
		maxAge: Math.floor(auth.session.maxAgeMs / 1000)
	});
	return { ok: true, location: user.access === 'granted' ? pending.returnTo : '/waitlist' };
}

/** Ends the session and returns where to go: the provider's logout page when it has one. */
export async function signOut(app: App, cookies: Cookies): Promise<string> {
	const token = cookies.get(SESSION_COOKIE);
	cookies.delete(SESSION_COOKIE, { path: '/' });
	const ended = token ? await endSessionByToken(app.database.db, token) : null;
	if (!ended?.idToken || app.config.auth.mode !== 'oidc') return '/auth/signed-out';
	try {
		return (await app.oidc()).endSessionUrl(ended.idToken) ?? '/auth/signed-out';
	} catch {
		return '/auth/signed-out';
	}
}
