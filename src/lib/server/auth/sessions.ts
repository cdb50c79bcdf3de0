import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { Database } from '../db/client';
import { sessions, users, type Session, type User } from '../db/schema';
import { hashSecret, newSecret } from './tokens';
import { notFound } from '../http/errors';

/** Server-side sessions with idle and absolute timeouts. */

export interface SessionTimeouts {
	idleMs: number;
	maxAgeMs: number;
}

/** lastSeenAt is written at most this often, so browsing does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

export async function createSession(
	db: Database,
	userId: string,
	timeouts: SessionTimeouts,
	details: { userAgent: string | null; idToken: string | null }
): Promise<{ token: string; session: Session }> {
	const token = newSecret();
	const [session] = await db
		.insert(sessions)
		.values({
			id: hashSecret(token),
			userId,
			expiresAt: new Date(Date.now() + timeouts.maxAgeMs),
			userAgent: details.userAgent?.slice(0, 200) ?? null,
			idToken: details.idToken
		})
		.returning();
	return { token, session };
}

/** The session and its user for a cookie token, or null when unknown, idle too long or expired. */
export async function validateSession(
	db: Database,
	token: string,
	timeouts: SessionTimeouts
): Promise<{ session: Session; user: User } | null> {
	const id = hashSecret(token);
	const [row] = await db.select().from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, id));
	if (!row) return null;
	const now = Date.now();
	const { sessions: session, users: user } = row;
	if (session.expiresAt.getTime() <= now || now - session.lastSeenAt.getTime() > timeouts.idleMs) {
		await db.delete(sessions).where(eq(sessions.id, id));
		return null;
	}
	if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
		const seen = new Date(now);
		await db.update(sessions).set({ lastSeenAt: seen }).where(eq(sessions.id, id));
		await db.update(users).set({ lastSeenAt: seen }).where(eq(users.id, user.id));
		session.lastSeenAt = seen;
	}
	return { session, user };
}

export async function listSessions(db: Database, userId: string): Promise<Session[]> {
	return db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.lastSeenAt));
}

export async function endSession(db: Database, userId: string, sessionId: string): Promise<void> {
	const ended = await db
		.delete(sessions)
		.where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
		.returning({ id: sessions.id });
	if (ended.length === 0) throw notFound('Session');
}

export async function endSessionByToken(db: Database, token: string): Promise<Session | null> {
	const [ended] = await db.delete(sessions).where(eq(sessions.id, hashSecret(token))).returning();
	return ended ?? null;
}

export async function endAllSessions(db: Database, userId: string): Promise<void> {
	await db.delete(sessions).where(eq(sessions.userId, userId));
}

export async function purgeExpiredSessions(db: Database, timeouts: SessionTimeouts): Promise<void> {
	const now = Date.now();
	await db
		.delete(sessions)
		.where(or(lt(sessions.expiresAt, new Date(now)), lt(sessions.lastSeenAt, new Date(now - timeouts.idleMs))));
}
