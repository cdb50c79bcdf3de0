import { sql } from 'drizzle-orm';
import {
	bigint,
	customType,
	index,
	integer,
	jsonb,
	pgTable,
	text,
	timestamp,
	uniqueIndex
} from 'drizzle-orm/pg-core';

/** French full-text vector: accents folded (unaccent) then Snowball-stemmed; see migration 0000. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const users = pgTable(
	'users',
	{
		id: text('id').primaryKey(),
		/** OIDC issuer + subject identify a person once sign-in exists; null for the local user. */
		issuer: text('issuer'),
		subject: text('subject'),
		email: text('email'),
		name: text('name').notNull(),
		givenName: text('given_name'),
		familyName: text('family_name'),
		/** SIRET of the person's organisation, as ProConnect provides it. */
		siret: text('siret'),
		organization: text('organization'),
		role: text('role', { enum: ['user', 'admin'] }).notNull().default('user'),
		/** 'granted' may use the service; 'pending' is on the waitlist (restricted experiment). */
		access: text('access', { enum: ['granted', 'pending'] }).notNull().default('granted'),
		/** How access was obtained: the policy, an admin's approval, or an activation code. */
		accessSource: text('access_source', { enum: ['policy', 'admin', 'code', 'local'] }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow()
	},
	(t) => [
		uniqueIndex('users_identity_idx').on(t.issuer, t.subject),
		index('users_email_idx').on(t.email),
		index('users_access_idx').on(t.access, t.createdAt)
	]
);

/** Server-side sessions: the cookie holds a random token, the table only its SHA-256. */
export const sessions = pgTable(
	'sessions',
	{
		id: text('id').primaryKey(),
		userId: text('user_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
		expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
		/** A short description of the browser, so a person can tell their sessions apart. */
		userAgent: text('user_agent'),
		/** Kept for RP-initiated logout (id_token_hint). */
		idToken: text('id_token')
	},
	(t) => [index('sessions_user_idx').on(t.userId)]
);

/** Sign-ins in progress: state, nonce and PKCE verifier, bound to the browser by a cookie. */
export const oidcFlows = pgTable('oidc_flows', {
	id: text('id').primaryKey(),
	data: jsonb('data').$type<Record<string, unknown>>().notNull(),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
});

export const activationCodes = pgTable('activation_codes', {
	id: text('id').primaryKey(),
	/** SHA-256 of the code; the code itself is shown once, at creation. */
	codeHash: text('code_hash').notNull().unique(),
	label: text('label').notNull(),
	maxUses: integer('max_uses').notNull().default(1),
	uses: integer('uses').notNull().default(0),
	expiresAt: timestamp('expires_at', { withTimezone: true }),
	disabledAt: timestamp('disabled_at', { withTimezone: true }),
	createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
	createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()
});

export const conversations = pgTable(
	'conversations',
	{
		id: text('id').primaryKey(),
		ownerId: text('owner_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		title: text('title').notNull(),
		/** 'pending' until the model names it, 'generated' once it has, 'user' after a rename. */
		titleSource: text('title_source', { enum: ['pending', 'generated', 'user'] })
			.notNull()
			.default('pending'),
		modelId: text('model_id'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
		titleSearch: tsvector('title_search').generatedAlwaysAs(
			sql`to_tsvector('public.french_unaccent', title)`
		)
	},
	(t) => [
		index('conversations_owner_updated_idx').on(t.ownerId, t.updatedAt.desc()),
		index('conversations_title_search_idx').using('gin', t.titleSearch)
	]
);

export const MESSAGE_STATUSES = ['complete', 'streaming', 'stopped', 'interrupted', 'error'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Structured parts stored with a message (sources, tool calls, reasoning) survive reloads. */
export interface StoredParts {
	reasoning?: string;
	sources?: Array<{ id: string; url?: string; title?: string }>;
}

export const messages = pgTable(
	'messages',
	{
		id: text('id').primaryKey(),
		/** Global insertion order: messages of a conversation are read by seq. */
		seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
		conversationId: text('conversation_id')
			.notNull()
			.references(() => conversations.id, { onDelete: 'cascade' }),
		ownerId: text('owner_id')
			.notNull()
			.references(() => users.id, { onDelete: 'cascade' }),
		role: text('role', { enum: ['user', 'assistant'] }).notNull(),
		content: text('content').notNull().default(''),
		parts: jsonb('parts').$type<StoredParts>().notNull().default({}),
		status: text('status', { enum: MESSAGE_STATUSES }).notNull().default('complete'),
		/** Why a message ended as error/interrupted, in words for the user. */
		statusReason: text('status_reason'),
		modelId: text('model_id'),
		promptTokens: integer('prompt_tokens'),
		completionTokens: integer('completion_tokens'),
		/** The server instance that runs a streaming generation, for crash recovery. */
		instanceId: text('instance_id'),
		createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
		updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
		// Not computed while the answer streams: its text is saved every 500 ms, and re-indexing the
		// whole text each time cost more than the rest of the save (bench/relay).
		contentSearch: tsvector('content_search').generatedAlwaysAs(
			sql`CASE WHEN status = 'streaming' THEN NULL ELSE to_tsvector('public.french_unaccent', content) END`
		)
	},
	(t) => [
		index('messages_conversation_seq_idx').on(t.conversationId, t.seq),
		index('messages_owner_idx').on(t.ownerId),
		index('messages_owner_seq_idx').on(t.ownerId, t.seq.desc()),
		index('messages_status_idx').on(t.status).where(sql`status = 'streaming'`),
		index('messages_content_search_idx').using('gin', t.contentSearch)
	]
);

export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type ActivationCode = typeof activationCodes.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type NewMessage = typeof messages.$inferInsert;
