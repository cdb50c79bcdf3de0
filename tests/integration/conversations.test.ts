import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database';
import * as repo from '../../src/lib/server/conversations/repository';
import { ensureLocalUser } from '../../src/lib/server/auth/local-user';
import { messages, users } from '../../src/lib/server/db/schema';

describe(`conversations and search (${TEST_DB})`, () => {
	let database: TestDatabase;
	const ids: Record<string, string> = {};

	beforeAll(async () => {
		database = await createTestDatabase();
		const { db } = database;
		await ensureLocalUser(db);
		await db.insert(users).values({ id: 'bob', name: 'Bob' });
		const add = async (owner: string, key: string, title: string, contents: string[]) => {
			const c = await repo.createConversation(db, owner, { title, modelId: null });
			ids[key] = c.id;
			for (const [i, content] of contents.entries()) {
				await db.insert(messages).values({ id: crypto.randomUUID(), conversationId: c.id, ownerId: owner, role: i % 2 ? 'assistant' : 'user', content });
			}
		};
		await add('local', 'sejour', 'Titres de séjour', ['Quelles pièces pour un titre de séjour ?', 'Il faut un passeport et un justificatif de domicile.']);
		await add('local', 'prefecture', 'Démarches', ['Les préfectures sont-elles ouvertes le samedi ?', 'Non, la plupart des préfectures ferment le samedi.']);
		await add('local', 'budget', 'Budget 2027', ['Prépare une note sur le budget de la direction.', 'Voici une note budgétaire détaillée.']);
		await add('bob', 'bob', 'Préfecture de Bob', ['Ma préfecture est fermée.']);
	});
	afterAll(async () => database?.dispose());

	it('lists only the owner’s conversations, most recent first', async () => {
		await repo.touchConversation(database.db, ids.sejour);
		const list = await repo.listConversations(database.db, 'local');
		expect(list.map((c) => c.id)).toEqual([ids.sejour, ids.budget, ids.prefecture]);
		expect((await repo.listConversations(database.db, 'bob')).map((c) => c.id)).toEqual([ids.bob]);
	});

	it('finds words in messages regardless of accents and singular/plural', async () => {
		const hits = await repo.searchConversations(database.db, 'local', 'prefecture');
		expect(hits.map((h) => h.id)).toEqual([ids.prefecture]);
		expect(hits[0].snippet).toMatch(/«préfectures»/);
		expect((await repo.searchConversations(database.db, 'local', 'SAMEDIS')).map((h) => h.id)).toEqual([ids.prefecture]);
		expect((await repo.searchConversations(database.db, 'local', 'passeports')).map((h) => h.id)).toEqual([ids.sejour]);
	});

	it('finds words in titles, ranks title matches first, and supports phrases and exclusions', async () => {
		expect((await repo.searchConversations(database.db, 'local', 'sejour')).map((h) => h.id)).toEqual([ids.sejour]);
		expect((await repo.searchConversations(database.db, 'local', 'budget')).map((h) => h.id)).toEqual([ids.budget]);
		expect((await repo.searchConversations(database.db, 'local', '"titre de séjour"')).map((h) => h.id)).toEqual([ids.sejour]);
		expect((await repo.searchConversations(database.db, 'local', 'samedi -ouvertes -ferment')).map((h) => h.id)).toEqual([]);
		expect((await repo.searchConversations(database.db, 'local', 'samedi -ferment')).map((h) => h.id)).toEqual([ids.prefecture]);
	});

	it('finds an answer once it is written, not while it streams', async () => {
		const { db } = database;
		const c = await repo.createConversation(db, 'local', { title: 'En cours', modelId: null });
		const id = crypto.randomUUID();
		await db.insert(messages).values({ id, conversationId: c.id, ownerId: 'local', role: 'assistant', status: 'streaming', content: 'Le xylophone municipal' });
		expect(await repo.searchConversations(db, 'local', 'xylophone')).toEqual([]);
		await db.update(messages).set({ status: 'interrupted' }).where(eq(messages.id, id));
		expect((await repo.searchConversations(db, 'local', 'xylophone')).map((h) => h.id)).toEqual([c.id]);
		await repo.deleteConversation(db, 'local', c.id);
	});

	it('never returns another user’s conversations, and odd queries are harmless', async () => {
		expect((await repo.searchConversations(database.db, 'bob', 'préfecture')).map((h) => h.id)).toEqual([ids.bob]);
		for (const q of ["'; drop table messages; --", '&&&', '!', '""', 'le la les']) {
			await expect(repo.searchConversations(database.db, 'local', q)).resolves.toBeInstanceOf(Array);
		}
	});

	it('scopes reads, renames and deletes to the owner', async () => {
		await expect(repo.getConversation(database.db, 'bob', ids.sejour)).rejects.toMatchObject({ status: 404 });
		await expect(repo.updateConversation(database.db, 'bob', ids.sejour, { title: 'volé' })).rejects.toMatchObject({ status: 404 });
		await expect(repo.deleteConversation(database.db, 'bob', ids.sejour)).rejects.toMatchObject({ status: 404 });
		expect(await repo.listMessages(database.db, 'bob', ids.sejour)).toEqual([]);
		expect((await repo.getConversation(database.db, 'local', ids.sejour)).title).toBe('Titres de séjour');
	});

	it('deleting a conversation deletes its messages', async () => {
		await repo.deleteConversation(database.db, 'local', ids.budget);
		expect(await repo.listMessages(database.db, 'local', ids.budget)).toEqual([]);
		expect(await repo.searchConversations(database.db, 'local', 'budgétaire')).toEqual([]);
	});
});
