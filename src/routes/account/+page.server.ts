import { eq } from 'drizzle-orm';
import { getApp } from '$lib/server/app';
import { listSessions } from '$lib/server/auth/sessions';
import { userOf } from '$lib/server/http/errors';
import { users } from '$lib/server/db/schema';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, depends }) => {
	depends('app:sessions');
	const { database } = await getApp();
	const me = userOf(locals);
	const [profile] = await database.db.select().from(users).where(eq(users.id, me.id));
	const sessions = await listSessions(database.db, me.id);
	return {
		profile: { name: profile.name, email: profile.email, organization: profile.organization, siret: profile.siret, role: profile.role },
		sessions: sessions.map((s) => ({
			id: s.id,
			current: s.id === locals.sessionId,
			createdAt: s.createdAt.toISOString(),
			lastSeenAt: s.lastSeenAt.toISOString(),
			userAgent: s.userAgent
		}))
	};
};
