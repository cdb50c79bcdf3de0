import { and, count, desc, eq, ilike, or, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client';
import { users, type User } from '../db/schema';
import type { Identity } from './oidc';
import type { AccessDecision } from './policy';
import { endAllSessions } from './sessions';
import { notFound } from '../http/errors';

/**
 * Creates or updates the person behind an identity (issuer + subject) with the claims of this
 * sign-in. Access once granted is kept; a new admin email promotes, it never demotes.
 */
export async function upsertUserFromIdentity(db: Database, identity: Identity, decision: AccessDecision): Promise<User> {
	const profile = {
		email: identity.email,
		name: identity.name,
		givenName: identity.givenName,
		familyName: identity.familyName,
		siret: identity.siret,
		organization: identity.organization,
		lastSeenAt: new Date()
	};
	const [existing] = await db
		.select()
		.from(users)
		.where(and(eq(users.issuer, identity.issuer), eq(users.subject, identity.subject)));
	const role = decision.reason === 'admin' ? ('admin' as const) : undefined;
	if (existing) {
		const access = existing.access === 'granted' || decision.access === 'granted' ? 'granted' : 'pending';
		const [updated] = await db
			.update(users)
			.set({
				...profile,
				...(role ? { role } : {}),
				access,
				accessSource: existing.access === 'granted' ? existing.accessSource : access === 'granted' ? 'policy' : null
			})
			.where(eq(users.id, existing.id))
			.returning();
		return updated;
	}
	const [created] = await db
		.insert(users)
		.values({
			id: randomUUID(),
			issuer: identity.issuer,
			subject: identity.subject,
			...profile,
			role: role ?? 'user',
			access: decision.access,
			accessSource: decision.access === 'granted' ? 'policy' : null
		})
		.returning();
	return created;
}

export interface UserPage {
	users: User[];
	total: number;
	page: number;
	pageSize: number;
}

export async function listUsers(
	db: Database,
	opts: { search?: string; access?: 'granted' | 'pending'; page?: number; pageSize?: number } = {}
): Promise<UserPage> {
	const page = Math.max(1, opts.page ?? 1);
	const pageSize = Math.min(100, Math.max(1, opts.pageSize ?? 25));
	const term = opts.search?.trim();
	const like = term ? `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
	const where = and(
		sql`${users.id} <> 'local'`,
		opts.access ? eq(users.access, opts.access) : undefined,
		like ? or(ilike(users.email, like), ilike(users.name, like), ilike(users.organization, like)) : undefined
	);
	const [rows, [{ n }]] = await Promise.all([
		db.select().from(users).where(where).orderBy(desc(users.createdAt)).limit(pageSize).offset((page - 1) * pageSize),
		db.select({ n: count() }).from(users).where(where)
	]);
	return { users: rows, total: Number(n), page, pageSize };
}

export async function setUserAccess(db: Database, userId: string, access: 'granted' | 'pending'): Promise<User> {
	const [row] = await db
		.update(users)
		.set({ access, accessSource: access === 'granted' ? 'admin' : null })
		.where(and(eq(users.id, userId), sql`${users.id} <> 'local'`))
		.returning();
	if (!row) throw notFound('User');
	if (access === 'pending') await endAllSessions(db, userId);
	return row;
}

export async function setUserRole(db: Database, userId: string, role: 'user' | 'admin'): Promise<User> {
	const [row] = await db
		.update(users)
		.set({ role })
		.where(and(eq(users.id, userId), sql`${users.id} <> 'local'`))
		.returning();
	if (!row) throw notFound('User');
	return row;
}

/** Deletes a person, all their data (cascade) and ends all their sessions. */
export async function deleteUser(db: Database, userId: string): Promise<void> {
	const deleted = await db
		.delete(users)
		.where(and(eq(users.id, userId), sql`${users.id} <> 'local'`))
		.returning({ id: users.id });
	if (deleted.length === 0) throw notFound('User');
}

/** What the admin API shows of a person. */
export function publicUser(u: User) {
	return {
		id: u.id,
		name: u.name,
		email: u.email,
		organization: u.organization,
		role: u.role,
		access: u.access,
		accessSource: u.accessSource,
		createdAt: u.createdAt,
		lastSeenAt: u.lastSeenAt
	};
}
