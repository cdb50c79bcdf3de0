import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, readJson } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { userOf } from '$lib/server/http/errors';
import { redeemActivationCode } from '$lib/server/auth/activation-codes';
import type { RequestHandler } from './$types';

const body = z.object({ code: z.string().trim().min(4, { error: 'enter the activation code' }).max(40) });

/** A waitlisted person opens their access with an activation code. */
export const POST: RequestHandler = api(async ({ locals, request }) => {
	const { database, config } = await getApp();
	const user = userOf(locals);
	const { code } = await readJson(request, body, config.limits.bodyBytes);
	if (user.access !== 'granted') await redeemActivationCode(database.db, user.id, code);
	return json({ access: 'granted' });
});
