import { APICallError, RetryError, type UIMessageChunk } from 'ai';
import { streamChatCompletion } from '../models/chat-stream';
import type { MessageStatus } from '../db/schema';
import type { ModelConfig } from '../models/catalog';
import type { ModelRegistry } from '../models/registry';
import type { ModelHealth } from '../models/health';
import { systemPrompt, toModelMessages, trimToContext, type HistoryMessage, type PromptMessage } from './history';
import { describeModelError } from './errors';
import type { AnswerFlusher } from './answer-flusher';

/** Why a running generation was aborted: by the person, by shutdown, by the stall watchdog, or because its turn could not be saved. */
export type AbortReason = 'stopped' | 'shutdown' | 'stall' | 'unsaved';

export interface GenerationDeps {
	flusher: AnswerFlusher;
	models: ModelRegistry;
	health?: ModelHealth;
	publish: (chunk: UIMessageChunk) => void;
	modelRetries: number;
	/** An upstream that sends nothing for this long is given up (before or after the first token). */
	idleTimeoutMs: number;
	log?: (m: string) => void;
}

export interface GenerationRequest {
	messageId: string;
	/** Messages before the answer, oldest first. */
	history: HistoryMessage[];
	model: ModelConfig;
	controller: AbortController;
	/** Text already written (continuing an interrupted answer). */
	continueFrom?: string;
	/**
	 * Resolves once the turn (question and answer row) is saved. The model is called at once, to
	 * hide the write behind its time to first token, but nothing it sends is taken before this.
	 */
	saved?: Promise<unknown>;
}

export interface GenerationResult {
	status: Exclude<MessageStatus, 'streaming'>;
	reason: string | null;
	text: string;
	reasoning: string;
	usage: { inputTokens?: number; outputTokens?: number };
	/** The model that wrote the answer (the fallback when the first one failed). */
	model: ModelConfig;
}

const CONTINUE_INSTRUCTION =
	'Continue ta réponse précédente exactement là où elle s’est arrêtée, sans répéter ce qui est déjà écrit.';

type Attempt =
	| { kind: 'done'; usage: GenerationResult['usage'] }
	| { kind: 'aborted'; reason: AbortReason }
	| { kind: 'failed'; error: unknown };

/**
 * Runs one answer to its end: streams from the model, publishes UI chunks, flushes text, and
 * handles upstream faults — retries (AI SDK, with backoff and Retry-After), a context-length error
 * (trimmed harder, once), a failing model (its fallback), a stall (watchdog).
 */
export async function runGeneration(deps: GenerationDeps, req: GenerationRequest): Promise<GenerationResult> {
	const { publish } = deps;
	req.saved?.catch(() => req.controller.abort('unsaved' satisfies AbortReason));
	const prefix = req.continueFrom ?? '';
	const writer = deps.flusher.track(req.messageId, prefix);
	let textOpen = false;
	let reasoningOpen = false;
	const openText = () => {
		if (reasoningOpen) {
			publish({ type: 'reasoning-end', id: 'r' });
			reasoningOpen = false;
		}
		if (!textOpen) {
			publish({ type: 'text-start', id: 't' });
			textOpen = true;
		}
	};
	publish({ type: 'start', messageId: req.messageId, messageMetadata: { status: 'streaming', modelId: req.model.id } });
	if (prefix) {
		openText();
		publish({ type: 'text-delta', id: 't', delta: prefix });
	}

	const attempt = async (model: ModelConfig, contextWindow: number): Promise<Attempt> => {
		const system = systemPrompt(new Date());
		const history: PromptMessage[] = toModelMessages(req.history);
		if (prefix) history.push({ role: 'assistant', content: prefix }, { role: 'user', content: CONTINUE_INSTRUCTION });
		const prompt = trimToContext(system, history, contextWindow, model.maxOutputTokens);
		const watchdog = setTimeout(() => req.controller.abort('stall' satisfies AbortReason), deps.idleTimeoutMs);
		// Per token: refresh() re-arms the same timer instead of allocating a new one.
		const arm = () => watchdog.refresh();
		try {
			const end = await streamChatCompletion(
				deps.models.endpoint(model),
				{
					system,
					messages: prompt.messages,
					maxOutputTokens: model.maxOutputTokens,
					maxRetries: deps.modelRetries,
					signal: req.controller.signal,
					notBefore: req.saved
				},
				{
					onText(delta) {
						arm();
						openText();
						writer.text += delta;
						publish({ type: 'text-delta', id: 't', delta });
					},
					onReasoning(delta) {
						arm();
						if (!reasoningOpen) {
							publish({ type: 'reasoning-start', id: 'r' });
							reasoningOpen = true;
						}
						writer.reasoning += delta;
						publish({ type: 'reasoning-delta', id: 'r', delta });
					}
				}
			);
			if (req.controller.signal.aborted) return { kind: 'aborted', reason: req.controller.signal.reason as AbortReason };
			deps.health?.record(model.id, true);
			return { kind: 'done', usage: end.usage };
		} catch (error) {
			if (req.controller.signal.aborted) return { kind: 'aborted', reason: req.controller.signal.reason as AbortReason };
			deps.health?.record(model.id, false);
			return { kind: 'failed', error };
		} finally {
			clearTimeout(watchdog);
		}
	};

	let model = req.model;
	let contextWindow = model.contextWindow;
	let trimmedOnce = false;
	const tried = new Set<string>();
	let outcome: Attempt;
	for (;;) {
		tried.add(model.id);
		outcome = await attempt(model, contextWindow);
		const nothingWritten = writer.text === prefix;
		if (outcome.kind !== 'failed' || !nothingWritten) break;
		if (isContextLengthError(outcome.error) && !trimmedOnce) {
			// Our estimate was too generous for this model's tokenizer: keep half and try once more.
			trimmedOnce = true;
			contextWindow = Math.max(Math.floor(contextWindow / 2), model.maxOutputTokens + 256);
			deps.log?.(`[chat] ${model.id} said the context is too long; retrying with ${contextWindow} tokens`);
			continue;
		}
		const fallback = model.fallback && deps.models.has(model.fallback) ? deps.models.resolve(model.fallback) : null;
		if (fallback && !tried.has(fallback.id)) {
			deps.log?.(`[chat] ${model.id} failed (${describeModelError(outcome.error)}); falling back to ${fallback.id}`);
			model = fallback;
			contextWindow = model.contextWindow;
			trimmedOnce = false;
			continue;
		}
		break;
	}
	if (reasoningOpen) publish({ type: 'reasoning-end', id: 'r' });
	if (textOpen) publish({ type: 'text-end', id: 't' });
	await writer.release();

	const wrote = writer.text !== '';
	const base = { text: writer.text, reasoning: writer.reasoning, model };
	switch (outcome.kind) {
		case 'done':
			return { ...base, status: 'complete', reason: null, usage: outcome.usage };
		case 'aborted':
			if (outcome.reason === 'stopped') return { ...base, status: 'stopped', reason: null, usage: {} };
			if (outcome.reason === 'unsaved') return { ...base, status: 'error', reason: 'The question could not be saved.', usage: {} };
			if (outcome.reason === 'shutdown') {
				return { ...base, status: 'interrupted', reason: 'The server restarted while this answer was being written.', usage: {} };
			}
			return {
				...base,
				status: wrote ? 'interrupted' : 'error',
				reason: `The model sent nothing for ${Math.round(deps.idleTimeoutMs / 1000)} s; the answer was given up.`,
				usage: {}
			};
		case 'failed': {
			const reason = describeModelError(outcome.error);
			deps.log?.(`[chat] model ${model.id} failed for message ${req.messageId}: ${reason}`);
			return { ...base, status: wrote ? 'interrupted' : 'error', reason, usage: {} };
		}
	}
}

export function isContextLengthError(err: unknown): boolean {
	const cause = RetryError.isInstance(err) ? err.lastError : err;
	if (!APICallError.isInstance(cause) || cause.statusCode !== 400) return false;
	return /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|reduce the length/i.test(
		`${cause.message} ${cause.responseBody ?? ''}`
	);
}
