/**
 * History at scale: the side panel list, opening a long conversation and full-text search, on a
 * database holding a large history, through the app's own repository functions (the real queries).
 *
 *   node --import tsx bench/history.ts [--smoke] [--db postgres,pglite] [--conversations 10000]
 *        [--messages 1000000] [--pglite-scale 0.1] [--iterations 30] [--keep]
 *
 * The schema is created by the app's own code (openDatabase runs the migrations); the history is
 * then bulk-loaded with multi-row INSERT … SELECT FROM unnest(…) batches (indexes other than the
 * primary keys are dropped during the load and recreated from their own definitions after it,
 * then VACUUM ANALYZE). One user ("local", the local-mode user) owns `--conversations` /
 * `--messages`; 99 other users own another 20 % so that every query has other people's rows to
 * skip. Messages of concurrent conversations are interleaved in time, as in real use.
 * PostgreSQL: a fresh database on TEST_POSTGRES_URL's server (default postgres@127.0.0.1:5432),
 * dropped at the end unless --keep. PGlite: a fresh on-disk database in a temporary folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { openDatabase, type DatabaseHandle } from '../src/lib/server/db/client';
import { getConversation, listConversations, listMessages, searchConversations } from '../src/lib/server/conversations/repository';
import { toUIMessages } from '../src/lib/server/chat/ui-messages';
import { FrenchText } from './lib/french';
import { figure, figures, log, machine, median, parseFlags, percentile, type Conditions } from './lib/figures';
import { ensureResultsDir, onCleanup } from './lib/services';

const { smoke, opts } = parseFlags();
const DBS = (opts.db ?? 'postgres,pglite').split(',') as Array<'postgres' | 'pglite'>;
const CONVERSATIONS = Number(opts.conversations ?? (smoke ? 200 : 10_000));
const MESSAGES = Number(opts.messages ?? (smoke ? 2_000 : 1_000_000));
const PGLITE_SCALE = Number(opts['pglite-scale'] ?? 0.1);
const ITERATIONS = Number(opts.iterations ?? (smoke ? 5 : 30));
const KEEP = opts.keep === 'true';
const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const USER = 'local';
const OTHER_USERS = 99;
const OTHERS_SHARE = 0.2;

/** The searches a person types in the side panel (accents, plurals, phrases, exclusions). */
const SEARCHES = [
	{ kind: 'common word', q: 'demande' },
	{ kind: 'no accent', q: 'prefecture' },
	{ kind: 'plural', q: 'subventions' },
	{ kind: 'phrase', q: '"marché public"' },
	{ kind: 'exclusion', q: 'contrat -litige' },
	{ kind: 'two words', q: 'permis urbanisme' },
	{ kind: 'rare word', q: 'curatelle' },
	{ kind: 'place', q: 'besancon' }
];

interface Loader {
	/** Runs one statement (batches may go to different connections). */
	exec(text: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
	/** Runs a session setting on every connection. */
	session(text: string): Promise<void>;
	close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

interface Plan {
	id: string;
	owner: string;
	count: number;
}

/** Message counts per conversation: `long` conversations of exactly `longSize`, the rest skewed (many short, a few long). */
function plans(owner: string, conversations: number, messages: number, long: number, longSize: number, g: FrenchText): Plan[] {
	const out: Plan[] = [];
	for (let i = 0; i < long; i++) out.push({ id: randomUUID(), owner, count: longSize });
	const rest = conversations - long;
	let remaining = messages - long * longSize;
	if (rest <= 0) return out;
	// Log-normal weights, scaled to the remaining messages, in user/assistant pairs, at least one pair.
	const w = Array.from({ length: rest }, () => Math.exp(1.1 * gaussian(g.r)));
	const sum = w.reduce((a, b) => a + b, 0);
	const counts = w.map((x) => Math.max(2, 2 * Math.round(((x / sum) * remaining) / 2)));
	let diff = remaining - counts.reduce((a, b) => a + b, 0);
	// Fix the total exactly (odd remainder: the last conversation ends on a question without answer).
	for (let i = 0; diff !== 0 && i < counts.length * 4; i++) {
		const k = i % counts.length;
		if (diff > 0) {
			const add = Math.min(diff, 2);
			counts[k]! += add;
			diff -= add;
		} else if (counts[k]! > 2) {
			const sub = Math.min(-diff, 2, counts[k]! - 2);
			counts[k]! -= sub;
			diff += sub;
		}
	}
	for (const c of counts) out.push({ id: randomUUID(), owner, count: c });
	remaining = 0;
	return out;
}

function gaussian(r: () => number): number {
	return Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
}

function shuffle<T>(a: T[], r: () => number): T[] {
	for (let i = a.length - 1; i > 0; i--) {
		const j = Math.floor(r() * (i + 1));
		[a[i], a[j]] = [a[j]!, a[i]!];
	}
	return a;
}

const MSG_COLUMNS = ['id', 'conversation_id', 'owner_id', 'role', 'content', 'status', 'model_id', 'prompt_tokens', 'completion_tokens', 'created_at', 'updated_at'];
const MSG_TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'int4', 'int4', 'timestamptz', 'timestamptz'];
const CONV_COLUMNS = ['id', 'owner_id', 'title', 'title_source', 'model_id', 'created_at', 'updated_at'];
const CONV_TYPES = ['text', 'text', 'text', 'text', 'text', 'timestamptz', 'timestamptz'];

function insertSql(table: string, columns: string[], types: string[]): string {
	return `insert into ${table} (${columns.join(', ')}) select * from unnest(${types.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;
}

async function seed(loader: Loader, conversations: number, messages: number, longSize: number): Promise<{ longIds: string[]; bytes: number; ms: number; total: number; totalConversations: number }> {
	const t0 = performance.now();
	const g = new FrenchText(1234);
	await loader.exec(`insert into users (id, name, role) values ('${USER}', 'Utilisateur local', 'admin') on conflict do nothing`);
	const others = Array.from({ length: OTHER_USERS }, (_, i) => `user-${i + 1}`);
	await loader.exec(insertSql('users', ['id', 'name'], ['text', 'text']), [others, others.map((o) => `Agent ${o}`)]);

	const long = Math.max(1, Math.min(10, Math.floor(messages / longSize / 4)));
	const mine = plans(USER, conversations, messages, long, longSize, g);
	const longIds = mine.slice(0, long).map((p) => p.id);
	const otherConvs = Math.round(conversations * OTHERS_SHARE);
	const otherMsgs = Math.round(messages * OTHERS_SHARE);
	const theirs: Plan[] = [];
	for (let u = 0; u < OTHER_USERS; u++) {
		const c = Math.max(1, Math.floor(otherConvs / OTHER_USERS));
		theirs.push(...plans(others[u]!, c, Math.max(2 * c, Math.floor(otherMsgs / OTHER_USERS)), 0, 0, g));
	}
	const queue = shuffle([...mine, ...theirs], g.r);
	const total = queue.reduce((s, p) => s + p.count, 0);

	// Interleave: K conversations are "active" at once; each step one of them gets its next message.
	const K = 64;
	const active: Array<Plan & { done: number; first: number }> = [];
	let q = 0;
	const refill = () => {
		while (active.length < K && q < queue.length) active.push({ ...queue[q++]!, done: 0, first: 0 });
	};
	refill();
	const start = Date.now() - 365 * 86_400_000;
	const step = (365 * 86_400_000) / total;
	let clock = start;

	const BATCH = 2000;
	let msgCols: unknown[][] = MSG_COLUMNS.map(() => []);
	let convCols: unknown[][] = CONV_COLUMNS.map(() => []);
	const inflight = new Set<Promise<unknown>>();
	let bytes = 0;
	let written = 0;
	let lastLog = performance.now();
	const send = async (text: string, params: unknown[]) => {
		while (inflight.size >= 2) await Promise.race(inflight);
		const p = loader.exec(text, params).finally(() => inflight.delete(p));
		inflight.add(p);
	};
	const flushMsgs = async () => {
		if (msgCols[0]!.length === 0) return;
		const cols = msgCols;
		msgCols = MSG_COLUMNS.map(() => []);
		await send(insertSql('messages', MSG_COLUMNS, MSG_TYPES), cols);
	};
	const flushConvs = async () => {
		if (convCols[0]!.length === 0) return;
		const cols = convCols;
		convCols = CONV_COLUMNS.map(() => []);
		await send(insertSql('conversations', CONV_COLUMNS, CONV_TYPES), cols);
	};

	while (active.length > 0) {
		const k = Math.floor(g.r() * active.length);
		const c = active[k]!;
		const at = new Date((clock += step * (0.5 + g.r()))).toISOString();
		if (c.done === 0) c.first = clock;
		const user = c.done % 2 === 0;
		const content = user ? g.question() : g.answer();
		bytes += content.length;
		const row = [randomUUID(), c.id, c.owner, user ? 'user' : 'assistant', content, 'complete', user ? null : 'fake-small', user ? null : 100 + c.done * 40, user ? null : Math.round(content.length / 4), at, at];
		row.forEach((v, i) => msgCols[i]!.push(v));
		c.done++;
		written++;
		if (msgCols[0]!.length >= BATCH) await flushMsgs();
		if (c.done === c.count) {
			const row = [c.id, c.owner, g.title(), 'generated', 'fake-small', new Date(c.first).toISOString(), at];
			row.forEach((v, i) => convCols[i]!.push(v));
			if (convCols[0]!.length >= BATCH) await flushConvs();
			active.splice(k, 1);
			refill();
		}
		if (performance.now() - lastLog > 10_000) {
			lastLog = performance.now();
			log(`  seeded ${written}/${total} messages (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
		}
	}
	await flushMsgs();
	await flushConvs();
	await Promise.all(inflight);
	return { longIds, bytes, ms: performance.now() - t0, total, totalConversations: queue.length };
}

/** Drops the secondary indexes (kept: primary keys), runs `load`, recreates them from their definitions. */
async function withoutSecondaryIndexes(loader: Loader, load: () => Promise<void>): Promise<number> {
	const { rows } = await loader.exec(
		`select indexname, indexdef from pg_indexes where schemaname = 'public' and tablename in ('messages', 'conversations')
		 and indexname not in (select conname from pg_constraint)`
	);
	for (const r of rows) await loader.exec(`drop index "${r.indexname as string}"`);
	await loader.session('set session_replication_role = replica'); // no FK triggers during the load (rows are consistent by construction)
	await load();
	await loader.session('set session_replication_role = origin');
	const t0 = performance.now();
	for (const r of rows) await loader.exec(r.indexdef as string);
	return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

/** Records the SQL text and parameters of the queries the repository sends (for EXPLAIN ANALYZE). */
function captureQueries(handle: DatabaseHandle): { last: () => { text: string; params: unknown[] } | null; on: (v: boolean) => void } {
	const client = (handle.db as unknown as { $client: { query: (...a: unknown[]) => unknown } }).$client;
	const original = client.query.bind(client);
	let capturing = false;
	let last: { text: string; params: unknown[] } | null = null;
	client.query = (...args: unknown[]) => {
		if (capturing) {
			const a0 = args[0] as string | { text: string; values?: unknown[] };
			last = { text: typeof a0 === 'string' ? a0 : a0.text, params: (Array.isArray(args[1]) ? args[1] : typeof a0 === 'string' ? [] : a0.values) ?? [] };
		}
		return original(...args);
	};
	return { last: () => last, on: (v) => (capturing = v) };
}

async function time(fn: () => Promise<unknown>, iterations: number, warmup = 2): Promise<number[]> {
	for (let i = 0; i < warmup; i++) await fn();
	const out: number[] = [];
	for (let i = 0; i < iterations; i++) {
		const t = performance.now();
		await fn();
		out.push(performance.now() - t);
	}
	return out;
}

async function explain(handle: DatabaseHandle, cap: ReturnType<typeof captureQueries>, fn: () => Promise<unknown>): Promise<string> {
	cap.on(true);
	await fn();
	cap.on(false);
	const q = cap.last();
	if (!q) return '(no query captured)';
	const client = (handle.db as unknown as { $client: { query: (t: string, p?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }> } }).$client;
	const res = await client.query(`explain (analyze, buffers) ${q.text}`, q.params);
	return `${q.text.trim().replace(/\s+\n/g, '\n')}\n-- params: ${JSON.stringify(q.params).slice(0, 300)}\n${res.rows.map((r) => Object.values(r)[0]).join('\n')}`;
}

async function measure(handle: DatabaseHandle, db: 'postgres' | 'pglite', info: { conversations: number; messages: number; longIds: string[]; longSize: number }, extra: Conditions): Promise<void> {
	const cond: Conditions = { db, conversations: info.conversations, messages: info.messages, other_users: OTHER_USERS, cache: 'warm', ...extra, ...machine() };
	const b = 'history';
	const cap = captureQueries(handle);
	const plans: string[] = [];
	const targets: Record<string, number> = { list: 20, open: 50, search: 100 };
	const misses: string[] = [];

	// The physical limit: one trivial round trip through the same driver and pool.
	const ping = await time(() => handle.db.execute(sql`select 1`), ITERATIONS * 2);
	figure(b, 'roundtrip_p50', median(ping), 'ms', cond);

	const list = await time(() => listConversations(handle.db, USER), ITERATIONS);
	const listed = (await listConversations(handle.db, USER)).length;
	figure(b, 'list_p50', median(list), 'ms', { ...cond, rows: listed }, '<= 20');
	figure(b, 'list_p99', percentile(list, 99), 'ms', { ...cond, rows: listed });
	plans.push(`-- list\n${await explain(handle, cap, () => listConversations(handle.db, USER))}`);
	if (median(list) > targets.list!) misses.push(plans.at(-1)!);

	let i = 0;
	const open = async () => {
		const id = info.longIds[i++ % info.longIds.length]!;
		const conversation = await getConversation(handle.db, USER, id);
		const rows = await listMessages(handle.db, USER, conversation.id);
		return toUIMessages(rows);
	};
	const opened = await open();
	const openTimes = await time(open, ITERATIONS);
	const openCond = { ...cond, open_messages: opened.length, open_chars: opened.reduce((s, m) => s + (m.parts as Array<{ text?: string }>).reduce((t: number, p) => t + (p.text?.length ?? 0), 0), 0) };
	figure(b, 'open_p50', median(openTimes), 'ms', openCond, '<= 50');
	figure(b, 'open_p99', percentile(openTimes, 99), 'ms', openCond);
	plans.push(`-- open (listMessages)\n${await explain(handle, cap, () => listMessages(handle.db, USER, info.longIds[0]!))}`);
	if (median(openTimes) > targets.open!) misses.push(plans.at(-1)!);

	const all: number[] = [];
	for (const s of SEARCHES) {
		const times = await time(() => searchConversations(handle.db, USER, s.q), Math.max(3, Math.round(ITERATIONS / 3)), 1);
		const hits = (await searchConversations(handle.db, USER, s.q)).length;
		// How much of the history the words match (what the query has to rank).
		const matching = await handle.db.execute(
			sql`select count(*)::int as n from messages where owner_id = ${USER} and content_search @@ websearch_to_tsquery('public.french_unaccent', ${s.q})`
		);
		const n = Number(((matching as unknown as { rows: Array<{ n: number }> }).rows[0] ?? { n: 0 }).n);
		all.push(...times);
		figure(b, 'search_query_p50', median(times), 'ms', { ...cond, query: s.q, kind: s.kind, hits, matching_messages: n });
		plans.push(`-- search ${s.q}\n${await explain(handle, cap, () => searchConversations(handle.db, USER, s.q))}`);
		if (median(times) > targets.search!) misses.push(plans.at(-1)!);
	}
	figure(b, 'search_p50', median(all), 'ms', { ...cond, queries: SEARCHES.length }, '<= 100');
	figure(b, 'search_p99', percentile(all, 99), 'ms', { ...cond, queries: SEARCHES.length });

	const file = path.join(ensureResultsDir(), `history-${db}-explain.txt`);
	fs.writeFileSync(file, plans.join('\n\n') + '\n');
	log(`query plans (EXPLAIN ANALYZE, BUFFERS): ${file}`);
	if (misses.length && !smoke) for (const m of misses) process.stderr.write(`\n[bench] missed target, plan:\n${m}\n`);
}

function humanSummary(): void {
	const rows = figures().filter((f) => f.bench === 'history');
	const dbs = [...new Set(rows.map((f) => f.conditions.db as string))];
	const v = (db: string, name: string) => {
		const f = rows.find((x) => x.conditions.db === db && x.name === name);
		if (!f) return 'n/a';
		return `${f.value}${f.met === false ? '!' : ''}`;
	};
	const m = machine();
	const header = ['db', 'user conv / msgs', 'db size', 'load', 'round trip', 'list p50/p99', 'open p50/p99', 'search p50/p99'];
	const lines = dbs.map((db) => {
		const f = rows.find((x) => x.conditions.db === db && x.name === 'list_p50');
		const o = rows.find((x) => x.conditions.db === db && x.name === 'open_p50');
		return [
			db,
			`${f?.conditions.conversations} / ${f?.conditions.messages}`,
			`${f?.conditions.db_mb} MB`,
			`${f?.conditions.load_s} s`,
			`${v(db, 'roundtrip_p50')} ms`,
			`${v(db, 'list_p50')} / ${v(db, 'list_p99')} ms`,
			`${v(db, 'open_p50')} / ${v(db, 'open_p99')} ms (${o?.conditions.open_messages} msgs)`,
			`${v(db, 'search_p50')} / ${v(db, 'search_p99')} ms`
		];
	});
	const all = [header, ...lines];
	const w = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)) + 2);
	const out = [
		'',
		`== history: list, open, search through the repository functions (warm cache; ${m.cores} cores, ${m.cpu}) ==`,
		'   targets: list p50 <= 20 ms, open p50 <= 50 ms, search p50 <= 100 ms; "!" marks a missed target',
		...all.map((l) => '   ' + l.map((c, i) => c.padEnd(w[i]!)).join('').trimEnd())
	];
	for (const db of dbs) {
		const qs = rows.filter((x) => x.conditions.db === db && x.name === 'search_query_p50');
		out.push(`   ${db} search p50 per query (messages matched): ` + qs.map((q) => `${q.conditions.query} ${q.value} ms (${q.conditions.matching_messages})`).join(', '));
	}
	const targets = rows.filter((f) => f.met !== undefined);
	const missed = targets.filter((f) => !f.met);
	out.push(`   targets: ${targets.length - missed.length}/${targets.length} met` + (missed.length ? ` — missed: ${missed.map((f) => `${f.name}=${f.value} ms (${f.conditions.db})`).join(', ')}` : ''));
	process.stdout.write(out.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------

async function onPostgres(): Promise<void> {
	const name = `bench_history_${Date.now()}`;
	const admin = new pg.Client({ connectionString: ADMIN_URL });
	await admin.connect();
	await admin.query(`create database ${name}`);
	await admin.end();
	const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
	const dropDb = async () => {
		const c = new pg.Client({ connectionString: ADMIN_URL });
		await c.connect();
		await c.query(`drop database if exists ${name} with (force)`);
		await c.end();
	};
	const off = KEEP ? () => {} : onCleanup(dropDb);
	log(`history on PostgreSQL: database ${name}, ${CONVERSATIONS} conversations / ${MESSAGES} messages`);
	let handle: DatabaseHandle | null = null;
	try {
		handle = await openDatabase({ databaseUrl: url, pgliteDir: null, poolSize: 4 }); // runs the migrations
		const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
		await Promise.all(clients.map((c) => c.connect()));
		let turn = 0;
		const loader: Loader = {
			// Batches alternate between two connections, so two are inserted at once (the tsvector
			// columns cost CPU); DDL goes to the first one.
			exec: (text, params) => (params ? clients[turn++ % clients.length]! : clients[0]!).query(text, params),
			session: async (text) => void (await Promise.all(clients.map((c) => c.query(text)))),
			close: async () => void (await Promise.all(clients.map((c) => c.end())))
		};
		await loader.session("set maintenance_work_mem = '512MB'");
		let seeded!: Awaited<ReturnType<typeof seed>>;
		const indexMs = await withoutSecondaryIndexes(loader, async () => {
			seeded = await seed(loader, CONVERSATIONS, MESSAGES, 500);
		});
		const t0 = performance.now();
		await clients[0]!.query('vacuum analyze');
		const vacuumMs = performance.now() - t0;
		const size = await clients[0]!.query(`select pg_database_size(current_database()) as b`);
		await loader.close();
		log(`  loaded in ${(seeded.ms / 1000).toFixed(1)} s, indexes ${(indexMs / 1000).toFixed(1)} s, vacuum analyze ${(vacuumMs / 1000).toFixed(1)} s`);
		const cond = { load_s: Math.round((seeded.ms + indexMs + vacuumMs) / 1000), db_mb: Math.round(Number(size.rows[0]!.b) / 1048576), avg_chars: Math.round(seeded.bytes / MESSAGES) };
		figure('history', 'seed_rate', seeded.total / (seeded.ms / 1000), 'messages/s', { db: 'postgres', all_users_messages: seeded.total, all_users_conversations: seeded.totalConversations, ...cond, ...machine() });
		await measure(handle, 'postgres', { conversations: CONVERSATIONS, messages: MESSAGES, longIds: seeded.longIds, longSize: 500 }, cond);
	} finally {
		await handle?.close();
		off();
		if (KEEP) log(`kept database ${url}`);
		else await dropDb();
	}
}

async function onPglite(): Promise<void> {
	const conversations = Math.max(20, Math.round(CONVERSATIONS * PGLITE_SCALE));
	const messages = Math.max(200, Math.round(MESSAGES * PGLITE_SCALE));
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-history-pglite-'));
	const off = onCleanup(async () => fs.rmSync(dir, { recursive: true, force: true }));
	log(`history on PGlite: ${dir}, ${conversations} conversations / ${messages} messages`);
	let handle: DatabaseHandle | null = null;
	try {
		handle = await openDatabase({ databaseUrl: null, pgliteDir: dir });
		const client = (handle.db as unknown as { $client: { query: (t: string, p?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }> } }).$client;
		const loader: Loader = { exec: (t, p) => client.query(t, p), session: async (t) => void (await client.query(t)), close: async () => {} };
		const longSize = Math.min(500, Math.floor(messages / 4));
		let seeded!: Awaited<ReturnType<typeof seed>>;
		const indexMs = await withoutSecondaryIndexes(loader, async () => {
			seeded = await seed(loader, conversations, messages, longSize);
		});
		const t0 = performance.now();
		await client.query('vacuum analyze');
		const vacuumMs = performance.now() - t0;
		const size = await client.query(`select pg_database_size(current_database()) as b`);
		log(`  loaded in ${(seeded.ms / 1000).toFixed(1)} s, indexes ${(indexMs / 1000).toFixed(1)} s, vacuum analyze ${(vacuumMs / 1000).toFixed(1)} s`);
		const cond = { load_s: Math.round((seeded.ms + indexMs + vacuumMs) / 1000), db_mb: Math.round(Number(size.rows[0]!.b) / 1048576), avg_chars: Math.round(seeded.bytes / messages) };
		figure('history', 'seed_rate', seeded.total / (seeded.ms / 1000), 'messages/s', { db: 'pglite', all_users_messages: seeded.total, all_users_conversations: seeded.totalConversations, ...cond, ...machine() });
		await measure(handle, 'pglite', { conversations, messages, longIds: seeded.longIds, longSize }, { ...cond, scale: PGLITE_SCALE });
	} finally {
		await handle?.close();
		off();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

for (const db of DBS) {
	if (db === 'postgres') await onPostgres();
	else await onPglite();
}
humanSummary();
process.exit(0);
