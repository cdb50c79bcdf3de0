import { json } from '@sveltejs/kit';
import { api } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { userOf } from '$lib/server/http/errors';
import { listSessions } from '$lib/server/auth/sessions';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = api(async ({ locals }) => {
	const { database } = await getApp();
	const sessions = await listSessions(database.db, userOf(locals).id);
	return json({
		sessions: sessions.map((s) => ({
			id: s.id,
			current: s.id === locals.sessionId,
			createdAt: s.createdAt,
			lastSeenAt: s.lastSeenAt,
			userAgent: s.userAgent
		}))
	});
});
