import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, readJson } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { createActivationCode, listActivationCodes } from '$lib/server/auth/activation-codes';
import { userOf } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';

const body = z.object({
	label: z.string().trim().min(1, { error: 'give the code a label' }).max(120),
	maxUses: z.number().int().min(1).max(100_000).default(1),
	expiresInDays: z.number().int().min(1).max(3650).nullable().optional()
});

const publicCode = (c: Awaited<ReturnType<typeof listActivationCodes>>[number]) => ({
	id: c.id,
	label: c.label,
	maxUses: c.maxUses,
	uses: c.uses,
	expiresAt: c.expiresAt,
	disabledAt: c.disabledAt,
	createdAt: c.createdAt
});

export const GET: RequestHandler = api(async () => {
	const { database } = await getApp();
	return json({ codes: (await listActivationCodes(database.db)).map(publicCode) });
});

/** Creates a code; the code itself is in this answer only. */
export const POST: RequestHandler = api(async ({ locals, request }) => {
	const { database, config } = await getApp();
	const b = await readJson(request, body, config.limits.bodyBytes);
	const { code, activationCode } = await createActivationCode(database.db, userOf(locals).id, {
		label: b.label,
		maxUses: b.maxUses,
		expiresAt: b.expiresInDays ? new Date(Date.now() + b.expiresInDays * 86_400_000) : null
	});
	return json({ code, activationCode: publicCode(activationCode) }, { status: 201 });
});
