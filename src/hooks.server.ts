import type { Handle, HandleServerError, ServerInit } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';
import { LOCAL_USER } from '$lib/server/auth/local-user';
import { isLocale } from '$lib/i18n';
import { ConfigError } from '$lib/server/config';

export const init: ServerInit = async () => {
	try {
		const app = await getApp();
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
		if (err instanceof ConfigError || (err as Error).name === 'ConfigError') {
			console.error(`[config] ${(err as Error).message}`);
			process.exit(78);
		}
		throw err;
	}
};

const SECURITY_HEADERS: Record<string, string> = {
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'no-referrer',
	'x-frame-options': 'DENY',
	'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
	'cross-origin-opener-policy': 'same-origin'
};

export const handle: Handle = async ({ event, resolve }) => {
	const lang = event.cookies.get('lang');
	event.locals.locale = isLocale(lang) ? lang : 'fr';
	event.locals.user = { ...LOCAL_USER, email: null };
	const response = await resolve(event, {
		transformPageChunk: ({ html }) => html.replace('%lang%', event.locals.locale)
	});
	for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
		if (!response.headers.has(k)) response.headers.set(k, v);
	}
	return response;
};

export const handleError: HandleServerError = ({ error, status, message }) => {
	if (status !== 404) console.error('[http] unexpected error:', error);
	return { message: status === 404 ? 'Not found' : message };
};
