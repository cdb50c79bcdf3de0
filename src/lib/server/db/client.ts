import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema';

/** One type for both drivers: the same Drizzle query API over PostgreSQL or PGlite. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface DatabaseHandle {
	db: Database;
	kind: 'postgres' | 'pglite';
	/** Answers true when the database can run a query. */
	ping(): Promise<boolean>;
	close(): Promise<void>;
}

export interface OpenOptions {
	/** postgres://… ; when absent an embedded PGlite database is used. */
	databaseUrl: string | null;
	/** Folder for PGlite's files; null keeps PGlite in memory (tests). */
	pgliteDir: string | null;
	poolSize?: number;
	/** PGlite's shared_buffers (default below). */
	pgliteSharedBuffers?: string;
}

/** PGlite's own default, 128MB, costs ~130 MB of memory from the start. */
export const DEFAULT_PGLITE_SHARED_BUFFERS = '32MB';

export async function openDatabase(opts: OpenOptions): Promise<DatabaseHandle> {
	return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.poolSize ?? 10) : openPglite(opts.pgliteDir, opts.pgliteSharedBuffers ?? DEFAULT_PGLITE_SHARED_BUFFERS);
}

async function openPostgres(url: string, max: number): Promise<DatabaseHandle> {
	const { default: pg } = await import('pg');
	const { drizzle } = await import('drizzle-orm/node-postgres');
	await migratePostgres(url);
	const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
	// An idle client that loses its connection must not crash the process.
	pool.on('error', (err) => console.error('[db] idle client error:', err.message));
	const db = drizzle(pool, { schema }) as unknown as Database;
	return {
		db,
		kind: 'postgres',
		ping: () => pingWith(db),
		close: () => pool.end()
	};
}

/**
 * PGlite writes this as the whole postgresql.conf at each start: PGlite's own settings (from the
 * file its initdb writes) plus the memory cache size.
 */
function pgliteConf(sharedBuffers: string): string[] {
	return [
		`shared_buffers = ${sharedBuffers}`,
		'max_connections = 100',
		'dynamic_shared_memory_type = posix',
		'max_wal_size = 1GB',
		'min_wal_size = 80MB',
		'timezone = UTC',
		'log_timezone = UTC',
		"datestyle = 'iso, mdy'",
		'lc_messages = C',
		'lc_monetary = C',
		'lc_numeric = C',
		'lc_time = C',
		"default_text_search_config = 'pg_catalog.english'"
	];
}

/**
 * A new PGlite folder is made by initdb, a second WebAssembly instance that PGlite then keeps for
 * the life of the process (~180 MB of memory; a worker thread does not give it back either). So
 * the folder is made by a short-lived child process, and the server opens it as an existing one.
 */
async function createPgliteFolder(dir: string, conf: string[]): Promise<void> {
	const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
	const code = `
		const [pglite, dir, conf] = JSON.parse(process.argv[1]);
		require(pglite).PGlite.create(dir, { postgresqlconf: conf }).then((db) => db.close());
	`;
	const child = spawn(process.execPath, ['-e', code, JSON.stringify([pglite, dir, conf])], { stdio: ['ignore', 'ignore', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
	const exitCode = await new Promise<number | null>((resolve, reject) => {
		child.once('error', reject);
		child.once('exit', resolve);
	});
	if (exitCode !== 0) throw new Error(`Creating the PGlite database in ${dir} failed: ${stderr.trim().split('\n').at(-1) || `exit ${exitCode}`}`);
}

async function openPglite(dir: string | null, sharedBuffers: string): Promise<DatabaseHandle> {
	const { PGlite } = await import('@electric-sql/pglite');
	const { unaccent } = await import('@electric-sql/pglite/contrib/unaccent');
	const { drizzle } = await import('drizzle-orm/pglite');
	if (dir) fs.mkdirSync(dir, { recursive: true });
	if (dir && !fs.existsSync(path.join(dir, 'PG_VERSION'))) await createPgliteFolder(dir, pgliteConf(sharedBuffers));
	const client = await PGlite.create(dir ?? undefined, { extensions: { unaccent }, postgresqlconf: pgliteConf(sharedBuffers) });
	const db = drizzle(client, { schema }) as unknown as Database;
	const { migrate } = await import('drizzle-orm/pglite/migrator');
	await migrate(db as never, { migrationsFolder: migrationsFolder() });
	return {
		db,
		kind: 'pglite',
		ping: () => pingWith(db),
		close: () => client.close()
	};
}

async function pingWith(db: Database): Promise<boolean> {
	try {
		await db.execute(sql`select 1`);
		return true;
	} catch {
		return false;
	}
}

/** Finds the SQL migrations next to the source, or copied beside the production build. */
export function migrationsFolder(): string {
	const candidates = [
		process.env.MIGRATIONS_DIR,
		fileURLToPath(new URL('./migrations', import.meta.url)),
		fileURLToPath(new URL('../../migrations', import.meta.url)),
		fileURLToPath(new URL('../migrations', import.meta.url)),
		path.resolve('build/migrations'),
		path.resolve('src/lib/server/db/migrations')
	].filter((c): c is string => Boolean(c));
	const found = candidates.find((c) => fs.existsSync(path.join(c, 'meta', '_journal.json')));
	if (!found) throw new Error(`Database migrations not found (looked in ${candidates.join(', ')})`);
	return found;
}

/** Applies pending migrations on one dedicated connection, serialised across instances. */
async function migratePostgres(url: string): Promise<void> {
	const { default: pg } = await import('pg');
	const { drizzle } = await import('drizzle-orm/node-postgres');
	const { migrate } = await import('drizzle-orm/node-postgres/migrator');
	const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
	await client.connect();
	try {
		await client.query('select pg_advisory_lock(727274)');
		await migrate(drizzle(client), { migrationsFolder: migrationsFolder() });
	} finally {
		await client.end();
	}
}
