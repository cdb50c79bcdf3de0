import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client';
import { activationCodes, users, type ActivationCode } from '../db/schema';
import { hashSecret } from './tokens';
import { UserError, notFound } from '../http/errors';

/** Activation codes let admins open the restricted experiment to a person or a group. */

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A readable code such as K7QM-2XPA-9RTD (no 0/O, 1/I confusion). */
function readableCode(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(12));
	const chars = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
	return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
}

function normalize(code: string): string {
	return code.toUpperCase().replace(/[^A-Z0-9]/g, '').replace(/(.{4})(?=.)/g, '$1-');
}

export async function createActivationCode(
	db: Database,
	createdBy: string,
	init: { label: string; maxUses: number; expiresAt: Date | null }
): Promise<{ code: string; activationCode: ActivationCode }> {
	const code = readableCode();
	const [activationCode] = await db
		.insert(activationCodes)
		.values({ id: randomUUID(), codeHash: hashSecret(code), label: init.label, maxUses: init.maxUses, expiresAt: init.expiresAt, createdBy })
		.returning();
	return { code, activationCode };
}

export async function listActivationCodes(db: Database): Promise<ActivationCode[]> {
	return db.select().from(activationCodes).orderBy(desc(activationCodes.createdAt)).limit(200);
}

export async function disableActivationCode(db: Database, id: string): Promise<void> {
	const rows = await db
		.update(activationCodes)
		.set({ disabledAt: new Date() })
		.where(eq(activationCodes.id, id))
		.returning({ id: activationCodes.id });
	if (rows.length === 0) throw notFound('Activation code');
}

/** Grants access to a waitlisted person with a valid code; uses are counted atomically. */
export async function redeemActivationCode(db: Database, userId: string, code: string): Promise<void> {
	const now = new Date();
	const [used] = await db
		.update(activationCodes)
		.set({ uses: sql`${activationCodes.uses} + 1` })
		.where(
			and(
				eq(activationCodes.codeHash, hashSecret(normalize(code))),
				isNull(activationCodes.disabledAt),
				or(isNull(activationCodes.expiresAt), gt(activationCodes.expiresAt, now)),
				lt(activationCodes.uses, activationCodes.maxUses)
			)
		)
		.returning({ id: activationCodes.id });
	if (!used) throw new UserError(400, 'This activation code is not valid: it may be mistyped, expired or already used.', 'invalid_code');
	await db.update(users).set({ access: 'granted', accessSource: 'code' }).where(eq(users.id, userId));
}
