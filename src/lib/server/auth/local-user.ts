import type { Database } from '../db/client';
import { users } from '../db/schema';

/**
 * Single-user local mode: until sign-in is configured, everything belongs to this one user and
 * the server only listens on a loopback address.
 */
export const LOCAL_USER = {
	id: 'local',
	name: 'Utilisateur local',
	email: null,
	role: 'admin' as const
};

export async function ensureLocalUser(db: Database): Promise<void> {
	await db
		.insert(users)
		.values({ id: LOCAL_USER.id, name: LOCAL_USER.name, role: LOCAL_USER.role })
		.onConflictDoNothing();
}
