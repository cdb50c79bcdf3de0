import { userOf } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';
import { json } from '@sveltejs/kit';
import { api } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';

/** Stops a generation: the upstream request is aborted and the text so far saved as `stopped`. */
export const POST: RequestHandler = api(async ({ locals, params }) => {
	const { chat } = await getApp();
	const stopped = await chat.stop(userOf(locals).id, params.id);
	return json({ stopped });
});
