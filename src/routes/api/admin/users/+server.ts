import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { listUsers, publicUser } from '$lib/server/auth/users';
import { UserError } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';

const query = z.object({
	search: z.string().max(200, { error: 'the search is too long (limit 200 characters)' }).optional(),
	access: z.enum(['granted', 'pending']).optional(),
	page: z.coerce.number().int().min(1).max(100_000).optional(),
	pageSize: z.coerce.number().int().min(1).max(100).optional()
});

export const GET: RequestHandler = api(async ({ url }) => {
	const { database } = await getApp();
	const parsed = query.safeParse(Object.fromEntries(url.searchParams));
	if (!parsed.success) throw new UserError(400, `${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`, 'invalid_request');
	const page = await listUsers(database.db, parsed.data);
	return json({ ...page, users: page.users.map(publicUser) });
});
