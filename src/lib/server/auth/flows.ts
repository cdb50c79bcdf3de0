import { eq, lt } from 'drizzle-orm';
import type { Database } from '../db/client';
import { oidcFlows } from '../db/schema';
import type { PendingSignIn } from './oidc';
import { newSecret } from './tokens';

/** Sign-ins in progress, kept server-side for 10 minutes and usable once. */
const FLOW_TTL_MS = 10 * 60_000;

export async function saveFlow(db: Database, pending: PendingSignIn): Promise<string> {
	await db.delete(oidcFlows).where(lt(oidcFlows.createdAt, new Date(Date.now() - FLOW_TTL_MS)));
	const id = newSecret(24);
	await db.insert(oidcFlows).values({ id, data: pending as unknown as Record<string, unknown> });
	return id;
}

/** Returns the flow and deletes it, so a callback cannot be replayed. */
export async function takeFlow(db: Database, id: string): Promise<PendingSignIn | null> {
	const [row] = await db.delete(oidcFlows).where(eq(oidcFlows.id, id)).returning();
	if (!row || row.createdAt.getTime() < Date.now() - FLOW_TTL_MS) return null;
	return row.data as unknown as PendingSignIn;
}
