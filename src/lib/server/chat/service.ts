import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, or } from 'drizzle-orm';
import type { UIMessageChunk } from 'ai';
import type { Database } from '../db/client';
import { conversations, messages, type Conversation, type Message, type NewMessage } from '../db/schema';
import type { StreamHub } from '../streams/hub';
import type { ModelRegistry } from '../models/registry';
import type { ModelConfig } from '../models/catalog';
import { UserError, notFound } from '../http/errors';
import { isUniqueViolation } from '../db/errors';
import * as repo from '../conversations/repository';
import { generateTitle, provisionalTitle } from './title';
import type { HistoryMessage } from './history';
import { describeModelError } from './errors';
import { runGeneration } from './generation';
import { AnswerFlusher } from './answer-flusher';
import type { ModelHealth } from '../models/health';

/** A streaming answer whose row was not renewed for this long belongs to a dead process. */
export const LEASE_MS = 20_000;

export type TurnInput =
	| { kind: 'submit'; text: string; messageId?: string }
	| { kind: 'edit'; messageId: string; text: string }
	| { kind: 'regenerate' }
	/** Continues an interrupted or stopped last answer, in the same message. */
	| { kind: 'continue'; messageId: string };

export interface ChatServiceOptions {
	db: Database;
	hub: StreamHub;
	models: ModelRegistry;
	instanceId: string;
	flushIntervalMs: number;
	/** Retries of a model call that fails before its first token (AI SDK backoff: 2 s, 4 s, …). */
	modelRetries?: number;
	limits: { messageChars: number; titleChars: number };
	/** Called when a generation fails in a way the operator should know about. */
	log?: (message: string) => void;
	/** Give up an upstream that sends nothing for this long (default 60 s). */
	idleTimeoutMs?: number;
	health?: ModelHealth;
	/** Called with the tokens each generation used (for per-person quotas). */
	onUsage?: (ownerId: string, tokens: number) => void;
}

export interface StartedTurn {
	conversationId: string;
	userMessageId: string;
	assistantMessageId: string;
}

/** One answer to write, as launched. */
interface Answer {
	ownerId: string;
	conversationId: string;
	messageId: string;
	model: ModelConfig;
	/** What the model is given: the messages before the answer, oldest first. */
	history: HistoryMessage[];
	/** Text already written (continuing an interrupted answer). */
	continueFrom?: string;
	/** The conversation still has no title of its own: name it after this answer. */
	titlePending: boolean;
	/** Resolves once the turn's rows are written (see GenerationRequest.saved). */
	saved?: Promise<unknown>;
}

interface Running {
	controller: AbortController;
	done: Promise<void>;
	conversationId: string;
}

/**
 * One chat turn (see docs/architecture.md): the user message is saved first, an assistant row is
 * created as `streaming`, and the generation then runs detached from any HTTP request, publishing
 * to the stream hub and flushing its text to the database at least once a second.
 */
export class ChatService {
	private running = new Map<string, Running>();
	private accepting = true;
	private readonly flusher: AnswerFlusher;

	constructor(private readonly o: ChatServiceOptions) {
		this.flusher = new AnswerFlusher(o.db, { intervalMs: o.flushIntervalMs, leaseRenewMs: LEASE_MS / 4, log: o.log });
		// A stop asked on any instance reaches the one running the generation.
		o.hub.onStopRequest((messageId) => this.running.get(messageId)?.controller.abort('stopped'));
	}

	get activeCount(): number {
		return this.running.size;
	}

	async startTurn(ownerId: string, conversationId: string, input: TurnInput): Promise<StartedTurn> {
		if (!this.accepting) throw new UserError(503, 'The server is restarting. Try again in a few seconds.', 'shutting_down');
		const { db } = this.o;
		// Both reads at once (two connections on PostgreSQL): the history is read once per turn.
		const [{ conversation, answering }, earlier] = await Promise.all([
			repo.getConversationForTurn(db, ownerId, conversationId),
			repo.listMessages(db, ownerId, conversationId)
		]);
		if (answering) {
			throw new UserError(409, 'An answer is still being written in this conversation: stop it or wait for it to finish.', 'busy');
		}
		const model = this.o.models.resolve(conversation.modelId);
		const titlePending = conversation.titleSource === 'pending';
		if (input.kind === 'continue') return this.continueAnswer(ownerId, conversation, earlier, input.messageId, model);
		if (input.kind !== 'regenerate') this.checkText(input.text);

		let userMessageId: string;
		let question: NewMessage | null = null;
		let provisional: string | undefined;
		let history: HistoryMessage[];
		if (input.kind === 'submit') {
			userMessageId = input.messageId ?? randomUUID();
			question = { id: userMessageId, conversationId, ownerId, role: 'user', content: input.text };
			if (titlePending) provisional = provisionalTitle(input.text);
			history = [...earlier, { role: 'user', content: input.text, status: 'complete' }];
		} else if (input.kind === 'edit') {
			const at = earlier.findIndex((m) => m.id === input.messageId);
			if (at === -1) throw notFound('Message');
			const target = earlier[at];
			if (target.role !== 'user') throw new UserError(400, 'Only your own messages can be edited.', 'not_editable');
			await db.update(messages).set({ content: input.text, updatedAt: new Date() }).where(eq(messages.id, target.id));
			await repo.deleteMessagesAfter(db, conversationId, target.seq);
			userMessageId = target.id;
			history = [...earlier.slice(0, at), { ...target, content: input.text }];
		} else {
			const at = earlier.findLastIndex((m) => m.role === 'user');
			if (at === -1) throw new UserError(400, 'There is no question to answer again in this conversation.', 'nothing_to_regenerate');
			await repo.deleteMessagesAfter(db, conversationId, earlier[at].seq);
			userMessageId = earlier[at].id;
			history = earlier.slice(0, at + 1);
		}

		const assistantMessageId = randomUUID();
		const answer: NewMessage = {
			id: assistantMessageId,
			conversationId,
			ownerId,
			role: 'assistant',
			status: 'streaming',
			modelId: model.id,
			instanceId: this.o.instanceId
		};
		// The model is asked first and the turn written meanwhile; its answer is only read once saved.
		let markSaved!: (writes: Promise<unknown>) => void;
		const saved = new Promise<unknown>((resolve) => (markSaved = resolve));
		await this.launch({ ownerId, conversationId, messageId: assistantMessageId, model, history, titlePending, saved });
		markSaved(
			Promise.all([
				// One statement for both rows: the question is saved with (never after) its answer's row, in this order.
				db
					.insert(messages)
					.values(question ? [question, answer] : [answer])
					.catch((err) => {
						if (isUniqueViolation(err)) throw new UserError(409, 'This message was already sent.', 'duplicate_message');
						throw err;
					}),
				repo.touchConversation(db, conversationId, provisional)
			])
		);
		await saved;
		return { conversationId, userMessageId, assistantMessageId };
	}

	private async continueAnswer(
		ownerId: string,
		conversation: Conversation,
		earlier: Message[],
		messageId: string,
		model: ModelConfig
	): Promise<StartedTurn> {
		const conversationId = conversation.id;
		const target = earlier.at(-1);
		if (!target || target.id !== messageId || target.role !== 'assistant' || !['interrupted', 'stopped'].includes(target.status) || !target.content) {
			throw new UserError(400, 'Only the last answer, when it was interrupted or stopped, can be continued.', 'not_continuable');
		}
		await Promise.all([
			this.o.db
				.update(messages)
				.set({ status: 'streaming', statusReason: null, instanceId: this.o.instanceId, updatedAt: new Date() })
				.where(eq(messages.id, messageId)),
			repo.touchConversation(this.o.db, conversationId)
		]);
		const history = earlier.slice(0, -1);
		await this.launch({ ownerId, conversationId, messageId, model, history, continueFrom: target.content, titlePending: conversation.titleSource === 'pending' });
		return { conversationId, userMessageId: earlier.findLast((m) => m.role === 'user')?.id ?? '', assistantMessageId: messageId };
	}

	/** Opens the live stream and runs the generation detached from the request. */
	private async launch(answer: Answer) {
		const { messageId, conversationId } = answer;
		await this.o.hub.open(messageId);
		const controller = new AbortController();
		const running: Running = { controller, conversationId, done: Promise.resolve() };
		this.running.set(messageId, running);
		running.done = this.generate(answer, controller)
			.catch(async (err) => {
				this.o.log?.(`[chat] generation ${messageId} crashed: ${(err as Error).stack ?? err}`);
				// Never leave a row streaming or a stream open behind a bug.
				await this.o.db
					.update(messages)
					.set({ status: 'error', statusReason: 'An internal error stopped this answer.', instanceId: null })
					.where(and(eq(messages.id, messageId), eq(messages.status, 'streaming')))
					.catch(() => {});
				this.o.hub.publish(messageId, { type: 'finish', messageMetadata: { status: 'error' } });
				await this.o.hub.close(messageId);
			})
			.finally(() => this.running.delete(messageId));
	}

	/** Stops a generation of this owner's; answers false when it had already ended. */
	async stop(ownerId: string, messageId: string): Promise<boolean> {
		const [row] = await this.o.db
			.select({ id: messages.id })
			.from(messages)
			.where(and(eq(messages.id, messageId), eq(messages.ownerId, ownerId)));
		if (!row) throw notFound('Message');
		const running = this.running.get(messageId);
		if (running) {
			running.controller.abort('stopped');
			await running.done;
			return true;
		}
		// Maybe another instance runs it: ask through the hub and wait for the final status.
		if (!(await this.isStreaming(messageId))) return false;
		await this.o.hub.requestStop(messageId);
		for (let i = 0; i < 50 && (await this.isStreaming(messageId)); i++) await new Promise((r) => setTimeout(r, 100));
		return true;
	}

	/** The conversation's latest answer, whatever its status. */
	lastAnswerId(ownerId: string, conversationId: string): Promise<string | null> {
		return this.latestAnswerId(ownerId, conversationId, false);
	}

	private async isStreaming(messageId: string): Promise<boolean> {
		const [row] = await this.o.db.select({ status: messages.status }).from(messages).where(eq(messages.id, messageId));
		return row?.status === 'streaming';
	}

	/** The assistant message still streaming in a conversation, if any (for resuming). */
	streamingMessageId(ownerId: string, conversationId: string): Promise<string | null> {
		return this.latestAnswerId(ownerId, conversationId, true);
	}

	private async latestAnswerId(ownerId: string, conversationId: string, streamingOnly: boolean): Promise<string | null> {
		const [row] = await this.o.db
			.select({ id: messages.id })
			.from(messages)
			.where(
				and(
					eq(messages.conversationId, conversationId),
					eq(messages.ownerId, ownerId),
					eq(messages.role, 'assistant'),
					streamingOnly ? eq(messages.status, 'streaming') : undefined
				)
			)
			.orderBy(desc(messages.seq))
			.limit(1);
		return row?.id ?? null;
	}

	/**
	 * A message still `streaming` whose generation died with its process is marked `interrupted`,
	 * keeping its saved text. At start this instance's own leftovers are recovered at once; any
	 * instance's are recovered once their lease (the row's updated_at, renewed while generating)
	 * is older than leaseMs.
	 */
	async recoverInterrupted(opts: { leaseMs?: number; atStart?: boolean } = {}): Promise<number> {
		const leaseMs = opts.leaseMs ?? LEASE_MS;
		const expired = lt(messages.updatedAt, new Date(Date.now() - leaseMs));
		// This instance's own rows only at start, before it runs anything: later, a row it has just
		// inserted may not be registered as running yet, and must not be taken for a leftover.
		const stale = opts.atStart ? or(eq(messages.instanceId, this.o.instanceId), expired) : expired;
		const rows = await this.o.db
			.update(messages)
			.set({ status: 'interrupted', statusReason: 'The server stopped while this answer was being written.', instanceId: null })
			.where(and(eq(messages.status, 'streaming'), stale))
			.returning({ id: messages.id });
		return rows.length;
	}

	/** Recovers dead instances' answers every leaseMs / 2 until shutdown. */
	startRecoveryLoop(leaseMs = LEASE_MS): void {
		if (this.recoveryTimer) return;
		this.recoveryTimer = setInterval(() => {
			this.recoverInterrupted({ leaseMs }).catch((err) => this.o.log?.(`[chat] recovery sweep failed: ${(err as Error).message}`));
		}, leaseMs / 2);
		this.recoveryTimer.unref();
	}

	private recoveryTimer: NodeJS.Timeout | null = null;

	/** Refuses new turns, lets running ones finish within graceMs, then stops the rest. */
	shutdown(graceMs: number): Promise<void> {
		this.shuttingDown ??= this.drain(graceMs);
		return this.shuttingDown;
	}

	private shuttingDown: Promise<void> | null = null;

	private async drain(graceMs: number): Promise<void> {
		this.accepting = false;
		if (this.recoveryTimer) clearInterval(this.recoveryTimer);
		const all = () => Promise.all([...this.running.values()].map((r) => r.done));
		const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
		await Promise.race([all(), timer]);
		for (const r of this.running.values()) r.controller.abort('shutdown');
		await all();
	}

	private checkText(text: string): void {
		if (text.trim() === '') throw new UserError(400, 'The message is empty.', 'empty_message');
		if (text.length > this.o.limits.messageChars) {
			throw new UserError(
				413,
				`The message is too long (${text.length} characters; the limit is ${this.o.limits.messageChars}).`,
				'message_too_long'
			);
		}
	}

	private async generate(answer: Answer, controller: AbortController): Promise<void> {
		const { ownerId, conversationId, messageId, model, history, continueFrom, saved } = answer;
		const { db, hub } = this.o;
		const publish = (chunk: UIMessageChunk) => hub.publish(messageId, chunk);
		const result = await runGeneration(
			{
				flusher: this.flusher,
				models: this.o.models,
				health: this.o.health,
				publish,
				modelRetries: this.o.modelRetries ?? 2,
				idleTimeoutMs: this.o.idleTimeoutMs ?? 60_000,
				log: this.o.log
			},
			{ messageId, history, model, controller, continueFrom, saved }
		);
		const { status, reason, usage } = result;
		// A model that failed at once may end before the turn's rows are written: write after them.
		if (saved && !(await saved.then(() => true, () => false))) {
			publish({ type: 'finish', messageMetadata: { status, statusReason: reason } });
			await hub.close(messageId);
			return;
		}
		await db
			.update(messages)
			.set({
				content: result.text,
				parts: result.reasoning ? { reasoning: result.reasoning } : {},
				status,
				statusReason: reason,
				modelId: result.model.id,
				promptTokens: usage.inputTokens ?? null,
				completionTokens: usage.outputTokens ?? null,
				instanceId: null,
				updatedAt: new Date()
			})
			.where(eq(messages.id, messageId));

		this.o.onUsage?.(ownerId, (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0));
		if (status === 'complete' && answer.titlePending) {
			const question = history.find((m) => m.role === 'user')?.content ?? '';
			await this.nameConversation(conversationId, { question, answer: result.text }, result.model, publish);
		}
		publish({ type: 'finish', messageMetadata: { status, statusReason: reason, modelId: result.model.id } });
		await hub.close(messageId);
	}

	/** After the first complete answer, asks the model for a title (once, unless renamed meanwhile). */
	private async nameConversation(
		conversationId: string,
		exchange: { question: string; answer: string },
		model: ModelConfig,
		publish: (c: UIMessageChunk) => void
	): Promise<void> {
		const { db } = this.o;
		let title: string | null = null;
		try {
			title = await generateTitle(this.o.models.endpoint(model), exchange, this.o.limits.titleChars);
		} catch (err) {
			this.o.log?.(`[chat] title generation failed for ${conversationId}: ${describeModelError(err)}`);
		}
		title ??= provisionalTitle(exchange.question);
		// Only replace a title nobody renamed in the meantime.
		const named = await db
			.update(conversations)
			.set({ title, titleSource: 'generated' })
			.where(and(eq(conversations.id, conversationId), eq(conversations.titleSource, 'pending')))
			.returning({ id: conversations.id });
		if (named.length > 0) publish({ type: 'data-title', data: { conversationId, title }, transient: true });
	}
}
