import { api } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { disableActivationCode } from '$lib/server/auth/activation-codes';
import type { RequestHandler } from './$types';

export const DELETE: RequestHandler = api(async ({ params }) => {
	const { database } = await getApp();
	await disableActivationCode(database.db, params.id);
	return new Response(null, { status: 204 });
});
