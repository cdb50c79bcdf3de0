import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openDatabase, type DatabaseHandle } from '../../src/lib/server/db/client';

/** Which database the integration suite runs on: each project sets TEST_DB. */
export const TEST_DB: 'pglite' | 'postgres' = process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A brand-new PostgreSQL database for this run; dropped by the returned function. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
	const name = `assistant_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
	const admin = new pg.Client({ connectionString: ADMIN_URL });
	await admin.connect();
	await admin.query(`create database ${name}`);
	await admin.end();
	const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
	return {
		url,
		drop: async () => {
			const c = new pg.Client({ connectionString: ADMIN_URL });
			await c.connect();
			await c.query(`drop database if exists ${name} with (force)`);
			await c.end();
		}
	};
}

export interface TestDatabase extends DatabaseHandle {
	dispose(): Promise<void>;
}

/** Opens a fresh, migrated database of the kind TEST_DB selects. */
export async function createTestDatabase(): Promise<TestDatabase> {
	if (TEST_DB === 'pglite') {
		const handle = await openDatabase({ databaseUrl: null, pgliteDir: null });
		return { ...handle, dispose: () => handle.close() };
	}
	const { url, drop } = await createPostgresDatabase();
	const handle = await openDatabase({ databaseUrl: url, pgliteDir: null, poolSize: 4 });
	return {
		...handle,
		dispose: async () => {
			await handle.close();
			await drop();
		}
	};
}
