import { json, redirect, type Handle, type HandleServerError, type ServerInit } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';
import { LOCAL_USER } from '$lib/server/auth/local-user';
import { validateSession } from '$lib/server/auth/sessions';
import { classifyPath, isApi, isCrossSiteWrite } from '$lib/server/auth/guard';
import { SESSION_COOKIE } from '$lib/server/auth/cookies';
import { isLocale } from '$lib/i18n';

export const init: ServerInit = async () => {
	try {
		const app = await getApp();
		// Runs before adapter-node reads HOST: `node build/index.js` without HOST would listen on every
		// interface, but local mode (no sign-in) is for this computer only.
		if (app.config.mode === 'local') process.env.HOST ||= app.config.host;
		const { models } = app.config;
		if (models.models.length === 0) {
			console.warn(
				'[config] No model is configured: set MODELS_CONFIG (path to a JSON file) or OPENAI_BASE_URL + OPENAI_MODELS (+ OPENAI_API_KEY). The UI will say so.'
			);
		} else {
			console.log(`[config] ${models.models.length} model(s) from ${models.source}; default: ${models.defaultModelId}`);
		}
		for (const p of models.providers) {
			if (p.apiKeyEnv && !p.apiKey) console.warn(`[config] provider ${p.id}: ${p.apiKeyEnv} is not set; requests will be sent without an API key`);
		}
		console.log(`[auth] ${app.config.mode === 'local' ? 'local mode (single user, loopback only)' : `OpenID Connect, issuer ${app.config.auth.mode === 'oidc' ? app.config.auth.oidc.issuer : ''}`}`);
		console.log(`[db] ${app.database.kind}${app.database.kind === 'pglite' ? ` in ${app.config.dataDir}` : ''}`);
		// adapter-node stops accepting connections on SIGTERM/SIGINT, waits for open requests, then
		// emits this event: running answers get their grace period, then the database is closed.
		const drain = () => void app.chat.shutdown(app.config.shutdownGraceMs);
		process.once('SIGTERM', drain);
		process.once('SIGINT', drain);
		process.once('sveltekit:shutdown' as 'exit', async () => {
			await app.close();
			console.log('[http] stopped cleanly');
			process.exit(0);
		});
	} catch (err) {
		if ((err as Error).name === 'ConfigError') {
			console.error(`[config] ${(err as Error).message}`);
			process.exit(78);
		}
		throw err;
	}
};

const SECURITY_HEADERS: Record<string, string> = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'same-origin',
	'x-frame-options': 'DENY',
	'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
	'cross-origin-opener-policy': 'same-origin'
};

function deny(pathname: string, status: 401 | 403, code: string, message: string, location: string): Response {
	if (isApi(pathname)) return json({ error: { code, message } }, { status });
	redirect(303, location);
}

export const handle: Handle = async ({ event, resolve }) => {
	const lang = event.cookies.get('lang');
	event.locals.locale = isLocale(lang) ? lang : 'fr';
	const { pathname } = event.url;

	if (isCrossSiteWrite(event.request, event.url.origin)) {
		return json({ error: { code: 'cross_site', message: 'Cross-site requests are refused.' } }, { status: 403 });
	}

	const app = await getApp();
	const auth = app.config.auth;
	event.locals.user = null;
	event.locals.sessionId = null;
	if (auth.mode === 'local') {
		event.locals.user = { ...LOCAL_USER, access: 'granted' };
	} else {
		const token = event.cookies.get(SESSION_COOKIE);
		const found = token ? await validateSession(app.database.db, token, auth.session) : null;
		if (found) {
			const { user, session } = found;
			event.locals.user = { id: user.id, name: user.name, email: user.email, role: user.role, access: user.access };
			event.locals.sessionId = session.id;
		} else if (token) {
			event.cookies.delete(SESSION_COOKIE, { path: '/' });
		}
	}

	const kind = classifyPath(pathname);
	const user = event.locals.user;
	if (kind !== 'public') {
		const returnTo = encodeURIComponent(pathname + event.url.search);
		if (!user) return deny(pathname, 401, 'unauthenticated', 'Sign in first.', `/auth/login?returnTo=${returnTo}`);
		if (user.access !== 'granted' && kind !== 'waitlist') {
			return deny(pathname, 403, 'waitlisted', 'The service is not yet open to you.', '/waitlist');
		}
		if (kind === 'admin' && user.role !== 'admin') {
			return deny(pathname, 403, 'forbidden', 'This page is for administrators.', '/');
		}
	}

	const response = await resolve(event, {
		transformPageChunk: ({ html }) => html.replace('%lang%', event.locals.locale)
	});
	try {
		for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!response.headers.has(k)) response.headers.set(k, v);
		// Sign-out posts a form that redirects to the provider's logout page: allow that one origin.
		const csp = response.headers.get('content-security-policy');
		if (csp && auth.mode === 'oidc') {
			response.headers.set('content-security-policy', csp.replace("form-action 'self'", `form-action 'self' ${new URL(auth.oidc.issuer).origin}`));
		}
		if (event.url.protocol === 'https:') response.headers.set('strict-transport-security', 'max-age=63072000; includeSubDomains');
	} catch {
		/* immutable headers (proxied responses) */
	}
	return response;
};

export const handleError: HandleServerError = ({ error, status, message }) => {
	if (status !== 404) console.error('[http] unexpected error:', error);
	return { message: status === 404 ? 'Not found' : message };
};
