import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database';
import { collect, createChatService, textOf } from '../helpers/chat';
import { createConversation, getConversation, listMessages, updateConversation } from '../../src/lib/server/conversations/repository';
import { messages } from '../../src/lib/server/db/schema';
import { UserError } from '../../src/lib/server/http/errors';

const isTitleRequest = (body: { messages: Array<{ role: string; content: unknown }> }) =>
	JSON.stringify(body.messages[0]?.content ?? '').includes('titre court');

describe(`chat turn (${TEST_DB})`, () => {
	let fake: FakeOpenAI;
	let database: TestDatabase;

	beforeAll(async () => {
		fake = await startFakeOpenAI();
		database = await createTestDatabase();
	});
	afterAll(async () => {
		await fake?.close();
		await database?.dispose();
	});
	beforeEach(() => {
		fake.respond((req) => (isTitleRequest(req) ? { text: 'Titre généré' } : { text: `Réponse à : ${JSON.stringify(req.messages.at(-1)?.content)}` }));
	});

	async function setup(opts: { contextWindow?: number; modelRetries?: number } = {}) {
		const svc = await createChatService(database.db, fake.url, opts);
		const conv = await createConversation(database.db, 'local', { title: 'Nouvelle conversation', modelId: 'fake-small' });
		return { ...svc, conv };
	}

	it('saves the question, streams the answer, stores it complete and names the conversation', async () => {
		const { chat, hub, conv } = await setup();
		fake.enqueue({ text: 'Bonjour, je suis **là**.', tokensPerSecond: 200 });
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Bonjour ?' });
		const rows = await listMessages(database.db, 'local', conv.id);
		expect(rows.map((r) => [r.role, r.status])).toEqual([
			['user', 'complete'],
			['assistant', 'streaming']
		]);
		const chunks = await collect(hub.subscribe(turn.assistantMessageId));
		expect(chunks[0]).toMatchObject({ type: 'start', messageId: turn.assistantMessageId });
		expect(textOf(chunks)).toBe('Bonjour, je suis **là**.');
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'complete' } });
		expect(chunks.some((c) => c.type === 'data-title')).toBe(true);

		const [, answer] = await listMessages(database.db, 'local', conv.id);
		expect(answer).toMatchObject({ status: 'complete', content: 'Bonjour, je suis **là**.', modelId: 'fake-small' });
		expect(answer.completionTokens).toBeGreaterThan(0);
		const named = await getConversation(database.db, 'local', conv.id);
		expect(named).toMatchObject({ title: 'Titre généré', titleSource: 'generated' });
	});

	it('keeps a title the person chose while the first answer was being written', async () => {
		const { chat, hub, conv } = await setup();
		fake.enqueue({ text: 'Une réponse un peu lente', tokensPerSecond: 40 });
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Question' });
		await updateConversation(database.db, 'local', conv.id, { title: 'Mon titre', titleSource: 'user' });
		const chunks = await collect(hub.subscribe(turn.assistantMessageId));
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'complete' } });
		expect(chunks.some((c) => c.type === 'data-title')).toBe(false);
		expect(await getConversation(database.db, 'local', conv.id)).toMatchObject({ title: 'Mon titre', titleSource: 'user' });
		// A later answer in a named conversation asks the model for no title at all.
		const requests = fake.requests.length;
		const again = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Encore' });
		await collect(hub.subscribe(again.assistantMessageId));
		expect(fake.requests.length).toBe(requests + 1);
	});

	it('flushes the text to the database while it streams', async () => {
		const { chat, conv } = await setup();
		fake.enqueue({ text: 'un deux trois quatre cinq six sept huit neuf dix onze douze', tokensPerSecond: 20 });
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Compte' });
		await new Promise((r) => setTimeout(r, 450));
		const [row] = await database.db.select().from(messages).where(eq(messages.id, turn.assistantMessageId));
		expect(row.status).toBe('streaming');
		expect(row.content.length).toBeGreaterThan(0);
		await chat.stop('local', turn.assistantMessageId);
	});

	it('stop aborts the upstream request and keeps the text so far as stopped', async () => {
		const { chat, hub, conv } = await setup();
		fake.enqueue({ text: 'mot '.repeat(200), tokensPerSecond: 50 });
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Long texte' });
		const live = collect(hub.subscribe(turn.assistantMessageId));
		await new Promise((r) => setTimeout(r, 300));
		expect(await chat.stop('local', turn.assistantMessageId)).toBe(true);
		const chunks = await live;
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'stopped' } });
		const [row] = await database.db.select().from(messages).where(eq(messages.id, turn.assistantMessageId));
		expect(row.status).toBe('stopped');
		expect(row.content).toBe(textOf(chunks));
		expect(row.content.length).toBeGreaterThan(0);
		await new Promise((r) => setTimeout(r, 50));
		const sent = fake.sent().at(-1)!;
		expect(sent.closedByClient).toBe(true);
		expect(fake.activeStreams()).toBe(0);
		// A stop that comes too late is harmless.
		expect(await chat.stop('local', turn.assistantMessageId)).toBe(false);
	});

	it('an upstream failure before the first token ends as error with a reason; the question stays', async () => {
		const { chat, hub, conv } = await setup();
		fake.enqueue({ fault: { kind: 'status', status: 500 } });
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Question perdue ?' });
		const chunks = await collect(hub.subscribe(turn.assistantMessageId));
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'error' } });
		const rows = await listMessages(database.db, 'local', conv.id);
		expect(rows[0]).toMatchObject({ role: 'user', content: 'Question perdue ?' });
		expect(rows[1].status).toBe('error');
		expect(rows[1].statusReason).toMatch(/500/);
	});

	it('retries a failed model call before the first token', async () => {
		const { chat, hub, conv } = await setup({ modelRetries: 1 });
		fake.enqueue({ fault: { kind: 'status', status: 503 } }, { text: 'Réussi au second essai' });
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Encore ?' });
		const chunks = await collect(hub.subscribe(turn.assistantMessageId));
		expect(textOf(chunks)).toBe('Réussi au second essai');
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { status: 'complete' } });
	});

	it('a connection reset mid-stream keeps the partial text as interrupted', async () => {
		const { chat, hub, conv } = await setup();
		fake.enqueue({ text: 'alpha beta gamma delta epsilon zeta eta theta', fault: { kind: 'reset', afterTokens: 3 } });
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Grec ?' });
		const chunks = await collect(hub.subscribe(turn.assistantMessageId));
		const [row] = await database.db.select().from(messages).where(eq(messages.id, turn.assistantMessageId));
		expect(row.status).toBe('interrupted');
		expect(row.content).toBe(textOf(chunks));
		expect('alpha beta gamma delta epsilon zeta eta theta'.startsWith(row.content)).toBe(true);
		expect(row.content.length).toBeGreaterThan(0);
		expect(row.statusReason).toBe('The connection to the model was cut while it was answering.');
	});

	it('refuses a second turn while one is running, and bad input, with clear errors', async () => {
		const { chat, conv } = await setup();
		fake.enqueue({ text: 'lent '.repeat(50), tokensPerSecond: 50 });
		const before = fake.requests.length;
		const turn = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Un' });
		await fake.waitForRequests(before + 1);
		await expect(chat.startTurn('local', conv.id, { kind: 'submit', text: 'Deux' })).rejects.toMatchObject({ status: 409 });
		await chat.stop('local', turn.assistantMessageId);
		await expect(chat.startTurn('local', conv.id, { kind: 'submit', text: '   ' })).rejects.toMatchObject({ status: 400 });
		await expect(chat.startTurn('local', conv.id, { kind: 'submit', text: 'x'.repeat(1001) })).rejects.toMatchObject({ status: 413 });
		await expect(chat.startTurn('other', conv.id, { kind: 'submit', text: 'intrus' })).rejects.toBeInstanceOf(UserError);
		await expect(chat.stop('other', turn.assistantMessageId)).rejects.toMatchObject({ status: 404 });
	});

	it('a turn that cannot be saved is refused, and the model request made meanwhile is dropped unread', async () => {
		const { chat, hub, conv } = await setup();
		const messageId = crypto.randomUUID();
		const first = await chat.startTurn('local', conv.id, { kind: 'submit', text: 'Une fois', messageId });
		await collect(hub.subscribe(first.assistantMessageId));
		const rowsBefore = await listMessages(database.db, 'local', conv.id);
		// A slow default answer (not a queued one: the refused turn may never reach the model).
		fake.respond({ text: 'jamais lu '.repeat(20), tokensPerSecond: 20 });
		const sentBefore = fake.sent().length;
		await expect(chat.startTurn('local', conv.id, { kind: 'submit', text: 'Deux fois', messageId })).rejects.toMatchObject({
			status: 409,
			code: 'duplicate_message'
		});
		await expect.poll(() => chat.activeCount).toBe(0);
		expect(await listMessages(database.db, 'local', conv.id)).toEqual(rowsBefore);
		// The request may or may not have reached the model before the refusal; if it did, it was cut.
		for (const stream of fake.sent().slice(sentBefore)) expect(stream.finished).toBe(false);
		await expect.poll(() => fake.activeStreams()).toBe(0);
	});

	it('regenerate replaces the last answer; edit rewrites a question and drops what followed', async () => {
		const { chat, hub, conv } = await setup();
		for (const q of ['Q1', 'Q2']) {
			const t = await chat.startTurn('local', conv.id, { kind: 'submit', text: q });
			await collect(hub.subscribe(t.assistantMessageId));
		}
		let rows = await listMessages(database.db, 'local', conv.id);
		expect(rows.map((r) => r.content)).toEqual(['Q1', 'Réponse à : "Q1"', 'Q2', 'Réponse à : "Q2"']);

		fake.enqueue({ text: 'Nouvelle réponse à Q2' });
		const regen = await chat.startTurn('local', conv.id, { kind: 'regenerate' });
		await collect(hub.subscribe(regen.assistantMessageId));
		rows = await listMessages(database.db, 'local', conv.id);
		expect(rows.map((r) => r.content)).toEqual(['Q1', 'Réponse à : "Q1"', 'Q2', 'Nouvelle réponse à Q2']);

		const edit = await chat.startTurn('local', conv.id, { kind: 'edit', messageId: rows[0].id, text: 'Q1 modifiée' });
		await collect(hub.subscribe(edit.assistantMessageId));
		rows = await listMessages(database.db, 'local', conv.id);
		expect(rows.map((r) => r.content)).toEqual(['Q1 modifiée', 'Réponse à : "Q1 modifiée"']);
		expect(rows[0].id).toBe(edit.userMessageId);
		// The model saw only the edited history.
		const last = fake.requests.filter((r) => !isTitleRequest(r)).at(-1)!;
		expect(last.messages.filter((m) => m.role !== 'system').map((m) => m.content)).toEqual(['Q1 modifiée']);
		await expect(chat.startTurn('local', conv.id, { kind: 'edit', messageId: rows[1].id, text: 'non' })).rejects.toMatchObject({ status: 400 });
	});

	it('trims the oldest history so the prompt fits the context window', async () => {
		const { chat, hub, conv } = await setup({ contextWindow: 1200 });
		for (let i = 0; i < 6; i++) {
			fake.enqueue({ text: `réponse ${i} ` + 'bla '.repeat(100) });
			const t = await chat.startTurn('local', conv.id, { kind: 'submit', text: `question ${i} ` + 'mot '.repeat(100) });
			await collect(hub.subscribe(t.assistantMessageId));
		}
		const last = fake.requests.filter((r) => !isTitleRequest(r)).at(-1)!;
		const chat5 = last.messages.filter((m) => m.role !== 'system');
		expect(chat5.length).toBeLessThan(11);
		expect(chat5[0].role).toBe('user');
		expect(String(chat5.at(-1)!.content)).toMatch(/^question 5/);
	});

	it('marks answers left streaming by a dead process as interrupted, keeping their text', async () => {
		const { chat, conv } = await setup();
		const leftover = (instanceId: string | null, updatedAt: Date) =>
			database.db
				.insert(messages)
				.values({ id: crypto.randomUUID(), conversationId: conv.id, ownerId: 'local', role: 'assistant', status: 'streaming', content: 'texte à moitié', instanceId, updatedAt })
				.returning()
				.then((r) => r[0]);
		const mine = await leftover('test-instance', new Date());
		const othersAlive = await leftover('other-instance', new Date());
		const othersDead = await leftover('dead-instance', new Date(Date.now() - 60_000));
		// A periodic sweep leaves this instance's fresh rows alone (they may be starting right now)…
		expect(await chat.recoverInterrupted({ leaseMs: 20_000 })).toBe(1);
		// …while the sweep at start recovers them at once.
		expect(await chat.recoverInterrupted({ leaseMs: 20_000, atStart: true })).toBe(1);
		const rows = await listMessages(database.db, 'local', conv.id);
		const status = (id: string) => rows.find((r) => r.id === id)!.status;
		expect(status(mine.id)).toBe('interrupted');
		expect(status(othersDead.id)).toBe('interrupted');
		expect(status(othersAlive.id)).toBe('streaming');
		expect(rows.find((r) => r.id === mine.id)!.content).toBe('texte à moitié');
		await database.db.delete(messages).where(eq(messages.id, othersAlive.id));
	});
});
