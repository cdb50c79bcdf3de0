import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { startFakeOpenAI, tokenize, type FakeOpenAI, type Script } from '../fixtures/fake-openai';
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database';
import { collect, createChatService, textOf, type ChatTestOptions } from '../helpers/chat';
import { createConversation, listMessages } from '../../src/lib/server/conversations/repository';
import { messages } from '../../src/lib/server/db/schema';

const isTitle = (req: { messages: Array<{ content: unknown }> }) => JSON.stringify(req.messages[0]?.content ?? '').includes('titre court');

describe(`upstream faults (${TEST_DB})`, () => {
	let fake: FakeOpenAI;
	let database: TestDatabase;
	const unhandled: unknown[] = [];
	const onUnhandled = (e: unknown) => unhandled.push(e);

	beforeAll(async () => {
		process.on('unhandledRejection', onUnhandled);
		fake = await startFakeOpenAI();
		database = await createTestDatabase();
	});
	afterAll(async () => {
		process.off('unhandledRejection', onUnhandled);
		await fake?.close();
		await database?.dispose();
	});
	beforeEach(() => fake.respond((req) => (isTitle(req) ? { text: 'Titre' } : { text: 'Réponse normale.' })));

	async function turn(script: Script | Script[], opts: ChatTestOptions = {}, text = 'Question') {
		const svc = await createChatService(database.db, fake.url, opts);
		const conv = await createConversation(database.db, 'local', { title: 't', modelId: 'fake-small' });
		fake.enqueue(...(Array.isArray(script) ? script : [script]));
		const started = Date.now();
		const t = await svc.chat.startTurn('local', conv.id, { kind: 'submit', text });
		const chunks = await collect(svc.hub.subscribe(t.assistantMessageId));
		const [row] = await database.db.select().from(messages).where(eq(messages.id, t.assistantMessageId));
		return { ...svc, conv, row, chunks, elapsed: Date.now() - started, turn: t };
	}

	it('a stall after some text: partial text kept, interrupted, with the reason', async () => {
		const { row, chunks } = await turn({ text: 'un deux trois quatre cinq six', fault: { kind: 'stall', afterTokens: 3 } }, { idleTimeoutMs: 300 });
		expect(row.status).toBe('interrupted');
		expect(row.statusReason).toMatch(/sent nothing for/);
		expect(row.content).toBe(textOf(chunks));
		expect('un deux trois quatre cinq six'.startsWith(row.content)).toBe(true);
		expect(row.content.length).toBeGreaterThan(0);
		await new Promise((r) => setTimeout(r, 50));
		expect(fake.activeStreams()).toBe(0);
	});

	it('a stall before the first token: an error, the upstream connection closed', async () => {
		const { row } = await turn({ text: 'jamais', ttftMs: 10_000 }, { idleTimeoutMs: 300 });
		expect(row).toMatchObject({ status: 'error', content: '' });
		expect(row.statusReason).toMatch(/sent nothing/);
		await new Promise((r) => setTimeout(r, 50));
		expect(fake.activeStreams()).toBe(0);
	});

	it('a malformed chunk: partial text kept, interrupted', async () => {
		const { row } = await turn({ text: 'alpha beta gamma delta', fault: { kind: 'malformed', afterTokens: 2 } });
		expect(row.status).toBe('interrupted');
		expect(row.content.length).toBeGreaterThan(0);
		expect('alpha beta gamma delta'.startsWith(row.content)).toBe(true);
	});

	it('429 before the first token: waits for Retry-After (within bounds) and succeeds', async () => {
		const { row, elapsed } = await turn([{ fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } }, { text: 'Après attente.' }], { modelRetries: 1 });
		expect(row).toMatchObject({ status: 'complete', content: 'Après attente.' });
		expect(elapsed).toBeGreaterThanOrEqual(950);
	});

	it('connection refused: a clear error, the question kept', async () => {
		const svc = await createChatService(database.db, 'http://127.0.0.1:9/v1');
		const conv = await createConversation(database.db, 'local', { title: 't', modelId: 'fake-small' });
		const t = await svc.chat.startTurn('local', conv.id, { kind: 'submit', text: 'Personne ?' });
		await collect(svc.hub.subscribe(t.assistantMessageId));
		const rows = await listMessages(database.db, 'local', conv.id);
		expect(rows[0]).toMatchObject({ role: 'user', content: 'Personne ?' });
		expect(rows[1].status).toBe('error');
		expect(rows[1].statusReason).toMatch(/cannot be reached|failed/);
	});

	it('a failing model falls back to the configured fallback model', async () => {
		fake.respond((req) => (isTitle(req) ? { text: 'Titre' } : req.model === 'fake-small' ? { fault: { kind: 'status', status: 503 } } : { text: `Réponse de ${req.model}` }));
		const { row, chunks } = await turn([], { fallback: true });
		expect(row).toMatchObject({ status: 'complete', content: 'Réponse de fake-large', modelId: 'fake-large' });
		expect(chunks.at(-1)).toMatchObject({ type: 'finish', messageMetadata: { modelId: 'fake-large' } });
	});

	it('a context-length error is retried once with a shorter history', async () => {
		const before = fake.requests.length;
		fake.respond((req) =>
			isTitle(req)
				? { text: 'Titre' }
				: JSON.stringify(req.messages).length > 90_000
					? { fault: { kind: 'status', status: 400, message: "This model's maximum context length is 1024 tokens", code: 'context_length_exceeded' } as never }
					: { text: 'Réponse courte.' }
		);
		const svc = await createChatService(database.db, fake.url, { contextWindow: 60_000 });
		const conv = await createConversation(database.db, 'local', { title: 't', modelId: 'fake-small' });
		for (let i = 0; i < 3; i++) {
			await database.db.insert(messages).values([
				{ id: crypto.randomUUID(), conversationId: conv.id, ownerId: 'local', role: 'user', content: `q${i} ` + 'mot '.repeat(4000) },
				{ id: crypto.randomUUID(), conversationId: conv.id, ownerId: 'local', role: 'assistant', content: `r${i} ` + 'mot '.repeat(4000) }
			]);
		}
		const t = await svc.chat.startTurn('local', conv.id, { kind: 'submit', text: 'Dernière question' });
		await collect(svc.hub.subscribe(t.assistantMessageId));
		const [row] = await database.db.select().from(messages).where(eq(messages.id, t.assistantMessageId));
		expect(row.status).toBe('complete');
		const calls = fake.requests.slice(before).filter((r) => !isTitle(r));
		expect(calls).toHaveLength(2);
		expect(calls[1].messages.length).toBeLessThan(calls[0].messages.length);
	});

	it('continues an interrupted answer in the same message, without repeating it', async () => {
		const first = await turn({ text: 'Première partie de la réponse, puis', fault: { kind: 'reset', afterTokens: 4 } });
		expect(first.row.status).toBe('interrupted');
		const partial = first.row.content;
		fake.enqueue({ text: ' la suite.' });
		const again = await first.chat.startTurn('local', first.conv.id, { kind: 'continue', messageId: first.row.id });
		expect(again.assistantMessageId).toBe(first.row.id);
		const chunks = await collect(first.hub.subscribe(first.row.id));
		expect(textOf(chunks)).toBe(partial + ' la suite.');
		const rows = await listMessages(database.db, 'local', first.conv.id);
		expect(rows).toHaveLength(2);
		expect(rows[1]).toMatchObject({ status: 'complete', content: partial + ' la suite.' });
		const sentToModel = fake.requests.filter((r) => !isTitle(r)).at(-1)!.messages.map((m) => m.role);
		expect(sentToModel.slice(-2)).toEqual(['assistant', 'user']);
		await expect(first.chat.startTurn('local', first.conv.id, { kind: 'continue', messageId: first.row.id })).rejects.toMatchObject({ status: 400 });
	});

	it('survives a soak of faulty streams: every answer final, no open upstream, no leaked sockets or timers, no unhandled rejection', async () => {
		const count = Number(process.env.SOAK_STREAMS ?? 300);
		const svc = await createChatService(database.db, fake.url, { idleTimeoutMs: 200 });
		const faults: Script[] = [
			{ text: 'ok ok ok ok' },
			{ fault: { kind: 'status', status: 500 } },
			{ fault: { kind: 'status', status: 503 } },
			{ fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } },
			{ text: 'a b c d e f', fault: { kind: 'reset', afterTokens: 2 } },
			{ text: 'a b c d e f', fault: { kind: 'malformed', afterTokens: 3 } },
			{ text: 'a b c d e f', fault: { kind: 'stall', afterTokens: 2 } },
			{ text: 'jamais', ttftMs: 5_000 }
		];
		fake.respond((req) => (isTitle(req) ? { text: 'Titre' } : faults[Math.floor(Math.random() * faults.length)]));
		const convs = await Promise.all(Array.from({ length: 20 }, () => createConversation(database.db, 'local', { title: 's', modelId: 'fake-small' })));
		const wave = async (n: number) => {
			let started = 0;
			await Promise.all(
				convs.map(async (conv) => {
					while (started < n) {
						started++;
						const t = await svc.chat.startTurn('local', conv.id, { kind: 'submit', text: `soak ${started}` });
						await collect(svc.hub.subscribe(t.assistantMessageId));
					}
				})
			);
			// Idle keep-alive connections (client and fake server, both in this process) close after 5 s.
			await new Promise((r) => setTimeout(r, 5_500));
			const resources = process.getActiveResourcesInfo();
			return { timers: resources.filter((r) => r === 'Timeout').length, sockets: resources.filter((r) => r === 'TCPSocketWrap').length };
		};
		// A leak grows with the number of streams: the second wave must not leave more behind than the first.
		const first = await wave(count / 2);
		const second = await wave(count / 2);
		const streaming = await database.db.select().from(messages).where(eq(messages.status, 'streaming'));
		expect(streaming).toEqual([]);
		expect(svc.chat.activeCount).toBe(0);
		expect(fake.activeStreams()).toBe(0);
		expect(second.timers).toBeLessThanOrEqual(first.timers + 3);
		expect(second.sockets).toBeLessThanOrEqual(first.sockets + 3);
		expect(unhandled).toEqual([]);
	}, 120_000);
});
