import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database';
import { createConversation } from '../../src/lib/server/conversations/repository';
import { messages } from '../../src/lib/server/db/schema';
import { AnswerFlusher } from '../../src/lib/server/chat/answer-flusher';
import { ensureLocalUser } from '../../src/lib/server/auth/local-user';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`saving streaming answers (${TEST_DB})`, () => {
	let database: TestDatabase;
	let conversationId: string;

	beforeAll(async () => {
		database = await createTestDatabase();
		await ensureLocalUser(database.db);
		conversationId = (await createConversation(database.db, 'local', { title: 'Flush', modelId: 'm' })).id;
	});
	afterAll(() => database?.dispose());

	async function streamingRow(): Promise<string> {
		const id = randomUUID();
		await database.db.insert(messages).values({ id, conversationId, ownerId: 'local', role: 'assistant', status: 'streaming' });
		return id;
	}
	const rows = (ids: string[]) => database.db.select().from(messages).where(inArray(messages.id, ids));

	it('saves every running answer each interval, text and reasoning, quotes and accents intact', async () => {
		const flusher = new AnswerFlusher(database.db, { intervalMs: 50, leaseRenewMs: 60_000 });
		const ids = await Promise.all(Array.from({ length: 30 }, streamingRow));
		const drafts = ids.map((id) => flusher.track(id));
		drafts.forEach((d, i) => (d.text = `Réponse n°${i} : l'« été » ; DROP TABLE messages; -- \\ $1`));
		drafts[0].reasoning = 'Je réfléchis…';
		await sleep(200);
		const saved = await rows(ids);
		for (const row of saved) expect(row.content).toBe(`Réponse n°${ids.indexOf(row.id)} : l'« été » ; DROP TABLE messages; -- \\ $1`);
		expect(saved.find((r) => r.id === ids[0])?.parts).toEqual({ reasoning: 'Je réfléchis…' });
		await Promise.all(drafts.map((d) => d.release()));
	});

	it('never overwrites an answer that is no longer streaming', async () => {
		const flusher = new AnswerFlusher(database.db, { intervalMs: 30, leaseRenewMs: 60_000 });
		const id = await streamingRow();
		const draft = flusher.track(id);
		draft.text = 'brouillon';
		await draft.release();
		await database.db.update(messages).set({ content: 'version finale', status: 'complete' }).where(eq(messages.id, id));
		// A second, still-tracked answer keeps the timer running with the finished row's id nowhere in it.
		const other = flusher.track(await streamingRow());
		other.text = 'autre';
		draft.text = 'texte tardif';
		await sleep(120);
		expect((await rows([id]))[0]).toMatchObject({ content: 'version finale', status: 'complete' });
		await other.release();
	});

	it('renews the lease of an answer that sends nothing', async () => {
		const flusher = new AnswerFlusher(database.db, { intervalMs: 30, leaseRenewMs: 100 });
		const id = await streamingRow();
		const before = (await rows([id]))[0].updatedAt.getTime();
		const draft = flusher.track(id);
		await sleep(250);
		expect((await rows([id]))[0].updatedAt.getTime()).toBeGreaterThan(before);
		await draft.release();
	});

	it('stops its timer when no answer is running; an answer whose row is gone is no error', async () => {
		const logs: string[] = [];
		const flusher = new AnswerFlusher(database.db, { intervalMs: 20, leaseRenewMs: 60_000, log: (m) => logs.push(m) });
		// The row does not exist: the update matches nothing, which is not an error.
		const ghost = flusher.track('no-such-row');
		ghost.text = 'x';
		await sleep(60);
		expect(logs).toEqual([]);
		await ghost.release();
		expect((flusher as unknown as { timer: unknown }).timer).toBeNull();
	});
});
