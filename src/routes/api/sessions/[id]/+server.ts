import { api } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { userOf } from '$lib/server/http/errors';
import { endSession } from '$lib/server/auth/sessions';
import type { RequestHandler } from './$types';

/** Ends one of the person's own sessions (another browser, or this one). */
export const DELETE: RequestHandler = api(async ({ locals, params }) => {
	const { database } = await getApp();
	await endSession(database.db, userOf(locals).id, params.id);
	return new Response(null, { status: 204 });
});
