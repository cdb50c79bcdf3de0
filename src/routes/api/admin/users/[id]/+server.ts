import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, readJson } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { deleteUser, publicUser, setUserAccess, setUserRole } from '$lib/server/auth/users';
import { UserError, userOf } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';

const body = z
	.object({ role: z.enum(['user', 'admin']).optional(), access: z.enum(['granted', 'pending']).optional() })
	.refine((b) => b.role || b.access, { error: 'nothing to change: send role or access' });

/** Approve from the waitlist, revoke, promote or demote. */
export const PATCH: RequestHandler = api(async ({ locals, params, request }) => {
	const { database, config } = await getApp();
	const patch = await readJson(request, body, config.limits.bodyBytes);
	if (params.id === userOf(locals).id && (patch.role === 'user' || patch.access === 'pending')) {
		throw new UserError(400, 'You cannot remove your own access or administrator role.', 'self_change');
	}
	let user;
	if (patch.access) user = await setUserAccess(database.db, params.id, patch.access);
	if (patch.role) user = await setUserRole(database.db, params.id, patch.role);
	return json({ user: publicUser(user!) });
});

/** Deletes the person, their conversations, and ends all their sessions. */
export const DELETE: RequestHandler = api(async ({ locals, params }) => {
	const { database } = await getApp();
	if (params.id === userOf(locals).id) throw new UserError(400, 'You cannot delete your own account here.', 'self_change');
	await deleteUser(database.db, params.id);
	return new Response(null, { status: 204 });
});
