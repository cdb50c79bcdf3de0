import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client';
import { conversations, messages, type Conversation, type Message } from '../db/schema';
import { notFound } from '../http/errors';

/** Conversations and their messages, always scoped to one owner. */

export interface ConversationSummary {
	id: string;
	title: string;
	titleSource: Conversation['titleSource'];
	modelId: string | null;
	updatedAt: Date;
	/** For search results: a short excerpt around the match, with «» around matched words. */
	snippet?: string;
}

const summaryColumns = {
	id: conversations.id,
	title: conversations.title,
	titleSource: conversations.titleSource,
	modelId: conversations.modelId,
	updatedAt: conversations.updatedAt
};

export async function createConversation(
	db: Database,
	ownerId: string,
	init: { title: string; modelId: string | null }
): Promise<Conversation> {
	const [row] = await db
		.insert(conversations)
		.values({ id: randomUUID(), ownerId, title: init.title, modelId: init.modelId })
		.returning();
	return row;
}

export async function listConversations(
	db: Database,
	ownerId: string,
	opts: { limit?: number; before?: Date } = {}
): Promise<ConversationSummary[]> {
	const where = opts.before
		? and(eq(conversations.ownerId, ownerId), sql`${conversations.updatedAt} < ${opts.before.toISOString()}`)
		: eq(conversations.ownerId, ownerId);
	return db
		.select(summaryColumns)
		.from(conversations)
		.where(where)
		.orderBy(desc(conversations.updatedAt))
		.limit(opts.limit ?? 200);
}

/**
 * French full-text search over titles and message contents (accents and plurals folded).
 * Title matches rank first; among messages, relevance is judged over the newest 1 000 matches
 * (index messages (owner_id, seq desc)), so a very common word stays fast on a million messages.
 * Each hit carries a snippet from its best message when the title alone did not match.
 */
export async function searchConversations(
	db: Database,
	ownerId: string,
	query: string,
	limit = 50
): Promise<ConversationSummary[]> {
	// Written inline (not in a CTE) so that the planner can estimate how selective it is.
	const q = sql`websearch_to_tsquery('public.french_unaccent', ${query})`;
	const result = await db.execute(sql`
		with message_hits as (
			select m.conversation_id as id, m.id as message_id, ts_rank(m.content_search, ${q}) as rank
			from messages m
			where m.owner_id = ${ownerId} and m.content_search @@ ${q}
			order by m.seq desc
			limit 1000
		),
		title_hits as (
			select c.id, null::text as message_id, 2.0::real as rank
			from conversations c
			where c.owner_id = ${ownerId} and c.title_search @@ ${q}
		),
		best as (
			select distinct on (id) id, message_id, rank
			from (select * from message_hits union all select * from title_hits) h
			order by id, rank desc
		)
		select c.id, c.title, c.title_source, c.model_id, c.updated_at,
			case when m.id is null then null else ts_headline('public.french_unaccent', m.content, ${q},
				'StartSel=«, StopSel=», MaxWords=18, MinWords=6, MaxFragments=1') end as snippet
		from (select * from best order by rank desc limit ${limit}) b
		join conversations c on c.id = b.id
		left join messages m on m.id = b.message_id
		order by b.rank desc, c.updated_at desc
	`);
	return (result as unknown as { rows: Array<Record<string, unknown>> }).rows.map((r) => ({
		id: r.id as string,
		title: r.title as string,
		titleSource: r.title_source as Conversation['titleSource'],
		modelId: (r.model_id as string | null) ?? null,
		updatedAt: new Date(r.updated_at as string),
		snippet: (r.snippet as string | null) ?? undefined
	}));
}

export async function getConversation(db: Database, ownerId: string, id: string): Promise<Conversation> {
	const [row] = await db
		.select()
		.from(conversations)
		.where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)));
	if (!row) throw notFound();
	return row;
}

/** The conversation (404 when it is not this owner's) and whether an answer is being written in it. */
export async function getConversationForTurn(
	db: Database,
	ownerId: string,
	id: string
): Promise<{ conversation: Conversation; answering: boolean }> {
	const [row] = await db
		.select({
			conversation: conversations,
			// Written out: Drizzle leaves column names unqualified in selected expressions.
			answering: sql<boolean>`exists (select 1 from messages m where m.conversation_id = conversations.id and m.status = 'streaming')`
		})
		.from(conversations)
		.where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)));
	if (!row) throw notFound();
	return row;
}

export async function updateConversation(
	db: Database,
	ownerId: string,
	id: string,
	patch: { title?: string; modelId?: string; titleSource?: Conversation['titleSource'] }
): Promise<Conversation> {
	const [row] = await db
		.update(conversations)
		.set(patch)
		.where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
		.returning();
	if (!row) throw notFound();
	return row;
}

/** Moves the conversation to the top of the list; gives it a title while it still has none of its own. */
export async function touchConversation(db: Database, id: string, titleIfPending?: string): Promise<void> {
	const title = titleIfPending
		? sql`case when ${conversations.titleSource} = 'pending' then ${titleIfPending} else ${conversations.title} end`
		: undefined;
	await db.update(conversations).set({ updatedAt: new Date(), title }).where(eq(conversations.id, id));
}

export async function deleteConversation(db: Database, ownerId: string, id: string): Promise<void> {
	const deleted = await db
		.delete(conversations)
		.where(and(eq(conversations.id, id), eq(conversations.ownerId, ownerId)))
		.returning({ id: conversations.id });
	if (deleted.length === 0) throw notFound();
}

export async function listMessages(db: Database, ownerId: string, conversationId: string): Promise<Message[]> {
	return db
		.select()
		.from(messages)
		.where(and(eq(messages.conversationId, conversationId), eq(messages.ownerId, ownerId)))
		.orderBy(asc(messages.seq));
}

/** Deletes every message that comes after the given one (used by edit and regenerate). */
export async function deleteMessagesAfter(db: Database, conversationId: string, seq: number): Promise<void> {
	await db.delete(messages).where(and(eq(messages.conversationId, conversationId), gt(messages.seq, seq)));
}
