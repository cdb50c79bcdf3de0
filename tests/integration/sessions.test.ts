import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database';
import { createSession, endAllSessions, listSessions, purgeExpiredSessions, validateSession } from '../../src/lib/server/auth/sessions';
import { createActivationCode, disableActivationCode, redeemActivationCode } from '../../src/lib/server/auth/activation-codes';
import { deleteUser, listUsers, upsertUserFromIdentity } from '../../src/lib/server/auth/users';
import { activationCodes, sessions, users } from '../../src/lib/server/db/schema';
import type { Identity } from '../../src/lib/server/auth/oidc';

const identity = (sub: string, email = `${sub}@example.org`): Identity => ({
	issuer: 'https://idp.example',
	subject: sub,
	email,
	emailVerified: true,
	givenName: sub,
	familyName: 'Test',
	name: `${sub} Test`,
	siret: null,
	organization: 'DINUM',
	roles: [],
	claims: {}
});

describe(`sessions, people and activation codes (${TEST_DB})`, () => {
	let database: TestDatabase;
	beforeAll(async () => {
		database = await createTestDatabase();
	});
	afterAll(async () => database?.dispose());

	it('creates a person once per issuer+subject, updates their claims, keeps granted access and admin role', async () => {
		const { db } = database;
		const a = await upsertUserFromIdentity(db, identity('ana'), { access: 'pending', reason: 'not_listed' });
		expect(a).toMatchObject({ access: 'pending', role: 'user', organization: 'DINUM' });
		const promoted = await upsertUserFromIdentity(db, { ...identity('ana'), organization: 'DGFiP' }, { access: 'granted', reason: 'admin' });
		expect(promoted).toMatchObject({ id: a.id, access: 'granted', role: 'admin', organization: 'DGFiP', accessSource: 'policy' });
		const again = await upsertUserFromIdentity(db, identity('ana'), { access: 'pending', reason: 'not_listed' });
		expect(again).toMatchObject({ id: a.id, access: 'granted', role: 'admin' });
	});

	it('expires a session after the idle timeout and after the absolute lifetime', async () => {
		const { db } = database;
		const u = await upsertUserFromIdentity(db, identity('sam'), { access: 'granted', reason: 'open' });
		const timeouts = { idleMs: 60_000, maxAgeMs: 3_600_000 };
		const { token, session } = await createSession(db, u.id, timeouts, { userAgent: 'Firefox', idToken: null });
		expect((await validateSession(db, token, timeouts))?.user.id).toBe(u.id);
		expect(await validateSession(db, 'not-a-token', timeouts)).toBeNull();

		await db.update(sessions).set({ lastSeenAt: new Date(Date.now() - 61_000) }).where(eq(sessions.id, session.id));
		expect(await validateSession(db, token, timeouts)).toBeNull();
		expect(await listSessions(db, u.id)).toHaveLength(0);

		const second = await createSession(db, u.id, timeouts, { userAgent: null, idToken: null });
		await db.update(sessions).set({ expiresAt: new Date(Date.now() - 1) }).where(eq(sessions.id, second.session.id));
		expect(await validateSession(db, second.token, timeouts)).toBeNull();
	});

	it('stores only a hash of the session token and purges expired sessions', async () => {
		const { db } = database;
		const u = await upsertUserFromIdentity(db, identity('tom'), { access: 'granted', reason: 'open' });
		const timeouts = { idleMs: 60_000, maxAgeMs: 3_600_000 };
		const { token } = await createSession(db, u.id, timeouts, { userAgent: null, idToken: null });
		const rows = await db.select().from(sessions).where(eq(sessions.userId, u.id));
		expect(rows[0].id).not.toBe(token);
		await db.update(sessions).set({ lastSeenAt: new Date(Date.now() - 120_000) }).where(eq(sessions.userId, u.id));
		await purgeExpiredSessions(db, timeouts);
		expect(await listSessions(db, u.id)).toHaveLength(0);
	});

	it('deleting a person ends all their sessions', async () => {
		const { db } = database;
		const u = await upsertUserFromIdentity(db, identity('zoe'), { access: 'granted', reason: 'open' });
		const t = { idleMs: 60_000, maxAgeMs: 3_600_000 };
		const s1 = await createSession(db, u.id, t, { userAgent: null, idToken: null });
		await createSession(db, u.id, t, { userAgent: null, idToken: null });
		await deleteUser(db, u.id);
		expect(await validateSession(db, s1.token, t)).toBeNull();
		expect(await db.select().from(sessions).where(eq(sessions.userId, u.id))).toHaveLength(0);
		await endAllSessions(db, u.id);
	});

	it('redeems a code within its uses and lifetime only', async () => {
		const { db } = database;
		const admin = await upsertUserFromIdentity(db, identity('adm'), { access: 'granted', reason: 'admin' });
		const p1 = await upsertUserFromIdentity(db, identity('p1'), { access: 'pending', reason: 'not_listed' });
		const p2 = await upsertUserFromIdentity(db, identity('p2'), { access: 'pending', reason: 'not_listed' });
		const p3 = await upsertUserFromIdentity(db, identity('p3'), { access: 'pending', reason: 'not_listed' });
		const multi = await createActivationCode(db, admin.id, { label: 'x', maxUses: 2, expiresAt: null });
		await redeemActivationCode(db, p1.id, multi.code);
		await redeemActivationCode(db, p2.id, multi.code);
		await expect(redeemActivationCode(db, p3.id, multi.code)).rejects.toMatchObject({ status: 400 });

		const expired = await createActivationCode(db, admin.id, { label: 'old', maxUses: 5, expiresAt: new Date(Date.now() + 60_000) });
		await db.update(activationCodes).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(activationCodes.id, expired.activationCode.id));
		await expect(redeemActivationCode(db, p3.id, expired.code)).rejects.toMatchObject({ status: 400 });

		const disabled = await createActivationCode(db, admin.id, { label: 'off', maxUses: 5, expiresAt: null });
		await disableActivationCode(db, disabled.activationCode.id);
		await expect(redeemActivationCode(db, p3.id, disabled.code)).rejects.toMatchObject({ status: 400 });

		const [p3row] = await db.select().from(users).where(eq(users.id, p3.id));
		expect(p3row.access).toBe('pending');
		const [p1row] = await db.select().from(users).where(eq(users.id, p1.id));
		expect(p1row).toMatchObject({ access: 'granted', accessSource: 'code' });
	});

	it('lists people with search and pages', async () => {
		const { db } = database;
		for (let i = 0; i < 30; i++) await upsertUserFromIdentity(db, identity(`page${i}`, `page${i}@list.example`), { access: i % 3 ? 'granted' : 'pending', reason: 'open' });
		const first = await listUsers(db, { search: '@list.example', pageSize: 25 });
		expect(first.total).toBe(30);
		expect(first.users).toHaveLength(25);
		expect((await listUsers(db, { search: '@list.example', pageSize: 25, page: 2 })).users).toHaveLength(5);
		expect((await listUsers(db, { search: 'page1', access: 'pending' })).users.every((u) => u.access === 'pending')).toBe(true);
		expect((await listUsers(db, { search: '%_' })).total).toBe(0);
	});
});
