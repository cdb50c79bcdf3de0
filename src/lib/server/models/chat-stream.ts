import http from 'node:http';
import https from 'node:https';
import { createParser } from 'eventsource-parser';
import { APICallError } from 'ai';

/**
 * Streams one chat completion from an OpenAI-compatible endpoint, calling back per delta.
 *
 * This is the relay's hot path, so it talks to the endpoint with node:http and eventsource-parser
 * instead of the AI SDK's streamText: the SDK spends ~150 µs of CPU per token in web streams and
 * schema validation (measured by bench/relay), which caps one process near 3 000 tokens/s. Errors
 * are the AI SDK's APICallError so that callers classify both paths the same way.
 */

export interface ChatEndpoint {
	baseURL: string;
	apiKey: string | null;
	headers?: Record<string, string>;
	/** The model name the endpoint knows. */
	model: string;
}

export interface ChatStreamRequest {
	system: string;
	messages: Array<{ role: 'user' | 'assistant'; content: string }>;
	maxOutputTokens: number;
	/** Retries of a request refused before the stream starts (408, 409, 429, 5xx, unreachable). */
	maxRetries: number;
	signal: AbortSignal;
	/** The request is sent at once, but the answer is not read before this resolves (rejected: dropped). */
	notBefore?: Promise<unknown>;
}

export interface ChatStreamHandlers {
	onText(delta: string): void;
	onReasoning(delta: string): void;
}

export interface ChatStreamEnd {
	finishReason: string | null;
	usage: { inputTokens?: number; outputTokens?: number };
}

/** The stream broke after it had started: a reset connection, or an end without [DONE]. */
export class StreamCutError extends Error {
	constructor(detail: string) {
		super(`The connection to the model was cut while it was answering (${detail}).`);
		this.name = 'StreamCutError';
	}
}

/** The endpoint sent something that is not a chat completion chunk, or an error object mid-stream. */
export class StreamChunkError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'StreamChunkError';
	}
}

const INITIAL_RETRY_DELAY_MS = 2_000;
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export async function streamChatCompletion(
	endpoint: ChatEndpoint,
	req: ChatStreamRequest,
	on: ChatStreamHandlers
): Promise<ChatStreamEnd> {
	const url = `${endpoint.baseURL.replace(/\/+$/, '')}/chat/completions`;
	const body = {
		model: endpoint.model,
		messages: [{ role: 'system', content: req.system }, ...req.messages],
		max_tokens: req.maxOutputTokens,
		stream: true,
		stream_options: { include_usage: true }
	};
	// It may reject while the request is still on its way: that is awaited below, not unhandled.
	req.notBefore?.catch(() => {});
	const res = await withRetries(() => open(url, endpoint, body, req.signal), req.maxRetries, req.signal);
	if (!req.notBefore) return consume(res, on);
	// Read at once (a stream that ends meanwhile must not be missed), but hold the deltas back.
	const held: Array<[keyof ChatStreamHandlers, string]> = [];
	let released = false;
	const consumed = consume(res, {
		onText: (d) => (released ? on.onText(d) : held.push(['onText', d])),
		onReasoning: (d) => (released ? on.onReasoning(d) : held.push(['onReasoning', d]))
	});
	consumed.catch(() => {}); // handled by our caller, once the wait below is over
	try {
		await req.notBefore;
	} catch (err) {
		res.destroy();
		throw err;
	}
	released = true;
	for (const [handler, delta] of held) on[handler](delta);
	return consumed;
}

function open(url: string, endpoint: ChatEndpoint, body: object, signal: AbortSignal): Promise<http.IncomingMessage> {
	const payload = JSON.stringify(body);
	const headers: Record<string, string> = {
		...endpoint.headers,
		'content-type': 'application/json',
		accept: 'text/event-stream',
		'content-length': String(Buffer.byteLength(payload))
	};
	if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
	const client = url.startsWith('https:') ? https : http;
	return new Promise((resolve, reject) => {
		const request = client.request(url, { method: 'POST', headers, signal }, (res) => {
			const status = res.statusCode ?? 0;
			if (status >= 200 && status < 300) return resolve(res);
			readBounded(res).then(
				(text) => reject(httpError(url, body, status, res.headers, text)),
				(err) => reject(err)
			);
		});
		request.on('error', (err) => {
			if (signal.aborted) return reject(err);
			reject(
				new APICallError({
					message: `Cannot connect to ${url}: ${err.message}`,
					url,
					requestBodyValues: body,
					cause: err,
					isRetryable: true
				})
			);
		});
		request.end(payload);
	});
}

/** Feeds the SSE body to the handlers; resolves at [DONE] (or a clean end after a finish reason). */
function consume(res: http.IncomingMessage, on: ChatStreamHandlers): Promise<ChatStreamEnd> {
	return new Promise((resolve, reject) => {
		let finishReason: string | null = null;
		const usage: ChatStreamEnd['usage'] = {};
		let settled = false;
		const finish = (err: Error | null) => {
			if (settled) return;
			settled = true;
			if (err) {
				res.destroy();
				reject(err);
			} else {
				resolve({ finishReason, usage });
			}
		};
		const parser = createParser({
			onEvent(event) {
				if (settled) return;
				if (event.data === '[DONE]') return finish(null);
				let chunk: CompletionChunk;
				try {
					chunk = JSON.parse(event.data);
				} catch {
					return finish(new StreamChunkError(`The model sent a malformed chunk: ${event.data.slice(0, 120)}`));
				}
				if (chunk.error) return finish(new StreamChunkError(`The model reported an error: ${chunk.error.message ?? 'unknown error'}`));
				if (chunk.usage) {
					usage.inputTokens = chunk.usage.prompt_tokens ?? undefined;
					usage.outputTokens = chunk.usage.completion_tokens ?? undefined;
				}
				const choice = chunk.choices?.[0];
				if (!choice) return;
				const reasoning = choice.delta?.reasoning_content ?? choice.delta?.reasoning;
				if (reasoning) on.onReasoning(reasoning);
				if (choice.delta?.content) on.onText(choice.delta.content);
				if (choice.finish_reason) finishReason = choice.finish_reason;
			}
		});
		res.setEncoding('utf8');
		res.on('data', (text: string) => parser.feed(text));
		res.on('end', () => {
			// Some servers end right after the last chunk without [DONE]; only a finish reason proves it was the end.
			finish(finishReason ? null : new StreamCutError('the stream ended without a finish reason'));
		});
		res.on('error', (err) => finish(err.name === 'AbortError' ? err : new StreamCutError(err.message)));
		res.on('close', () => finish(res.complete ? null : new StreamCutError('connection closed')));
	});
}

interface CompletionChunk {
	choices?: Array<{
		delta?: { content?: string | null; reasoning_content?: string | null; reasoning?: string | null };
		finish_reason?: string | null;
	}>;
	usage?: { prompt_tokens?: number | null; completion_tokens?: number | null } | null;
	error?: { message?: string };
}

/** The AI SDK's retry policy: exponential backoff from 2 s, or the server's Retry-After when sooner than a minute. */
async function withRetries<T>(attempt: () => Promise<T>, maxRetries: number, signal: AbortSignal): Promise<T> {
	let backoffMs = INITIAL_RETRY_DELAY_MS;
	for (let tries = 1; ; tries++) {
		try {
			return await attempt();
		} catch (err) {
			if (signal.aborted || tries > maxRetries || !APICallError.isInstance(err) || !err.isRetryable) throw err;
			await sleep(retryDelayMs(err.responseHeaders, backoffMs), signal);
			backoffMs *= 2;
		}
	}
}

export function retryDelayMs(headers: Record<string, string> | undefined, backoffMs: number): number {
	let ms: number | undefined;
	const retryAfterMs = parseFloat(headers?.['retry-after-ms'] ?? '');
	if (!Number.isNaN(retryAfterMs)) ms = retryAfterMs;
	const retryAfter = headers?.['retry-after'];
	if (ms === undefined && retryAfter) {
		const seconds = parseFloat(retryAfter);
		ms = Number.isNaN(seconds) ? Date.parse(retryAfter) - Date.now() : seconds * 1000;
	}
	if (ms !== undefined && !Number.isNaN(ms) && ms >= 0 && (ms < 60_000 || ms < backoffMs)) return ms;
	return backoffMs;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal.aborted) return reject(signal.reason);
		const onAbort = () => {
			clearTimeout(timer);
			reject(signal.reason);
		};
		const timer = setTimeout(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		signal.addEventListener('abort', onAbort, { once: true });
	});
}

function readBounded(res: http.IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const parts: Buffer[] = [];
		let size = 0;
		res.on('data', (b: Buffer) => {
			if (size < MAX_ERROR_BODY_BYTES) parts.push(b);
			size += b.length;
		});
		res.on('end', () => resolve(Buffer.concat(parts).toString('utf8').slice(0, MAX_ERROR_BODY_BYTES)));
		res.on('error', reject);
	});
}

function httpError(url: string, body: object, status: number, headers: http.IncomingHttpHeaders, text: string): APICallError {
	let message = `${status} ${http.STATUS_CODES[status] ?? ''}`.trim();
	try {
		const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
		message = (typeof parsed.error === 'string' ? parsed.error : parsed.error?.message) ?? parsed.message ?? message;
	} catch {
		if (text.trim()) message = text.trim().slice(0, 500);
	}
	return new APICallError({
		message,
		url,
		requestBodyValues: body,
		statusCode: status,
		responseHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
		responseBody: text,
		isRetryable: status === 408 || status === 409 || status === 429 || status >= 500
	});
}
