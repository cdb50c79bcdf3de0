import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { TEST_DB } from '../helpers/database';
import { openDatabase } from '../../src/lib/server/db/client';

describe.runIf(TEST_DB === 'pglite')('the embedded database', () => {
	it('starts with a small memory cache, configurable, and keeps PostgreSQL settings the app relies on', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pglite-'));
		const setting = async (size?: string) => {
			const handle = await openDatabase({ databaseUrl: null, pgliteDir: dir, pgliteSharedBuffers: size });
			const show = async (name: string) => {
				const result = (await handle.db.execute(sql`select current_setting(${name}) as value`)) as unknown as { rows: Array<{ value: string }> };
				return result.rows[0].value;
			};
			const values = { sharedBuffers: await show('shared_buffers'), timezone: await show('timezone'), datestyle: await show('datestyle') };
			await handle.close();
			return values;
		};
		try {
			expect(await setting()).toEqual({ sharedBuffers: '32MB', timezone: 'UTC', datestyle: 'ISO, MDY' });
			// The same folder reopened with another size takes it.
			expect((await setting('16MB')).sharedBuffers).toBe('16MB');
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});
});
