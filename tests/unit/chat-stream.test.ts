import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { APICallError } from 'ai';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import {
	StreamChunkError,
	StreamCutError,
	retryDelayMs,
	streamChatCompletion,
	type ChatEndpoint,
	type ChatStreamRequest
} from '../../src/lib/server/models/chat-stream';
import { freePort } from '../helpers/app-server';

let fake: FakeOpenAI;
let endpoint: ChatEndpoint;

beforeEach(async () => {
	fake = await startFakeOpenAI({ apiKey: 'secret' });
	endpoint = { baseURL: fake.url, apiKey: 'secret', model: 'fake-model' };
});
afterEach(() => fake.close());

function request(overrides: Partial<ChatStreamRequest> = {}): ChatStreamRequest {
	return {
		system: 'Tu es utile.',
		messages: [{ role: 'user', content: 'Bonjour' }],
		maxOutputTokens: 256,
		maxRetries: 0,
		signal: new AbortController().signal,
		...overrides
	};
}

async function run(req = request(), ep = endpoint) {
	let text = '';
	let reasoning = '';
	const end = await streamChatCompletion(ep, req, { onText: (d) => (text += d), onReasoning: (d) => (reasoning += d) });
	return { text, reasoning, end };
}

describe('streamChatCompletion (the relay client of an OpenAI-compatible endpoint)', () => {
	it('streams text and reasoning deltas, then the finish reason and the usage', async () => {
		fake.enqueue({ text: 'Voici la réponse, élégante 🎉 et complète.', reasoning: 'Je réfléchis.' });
		const { text, reasoning, end } = await run();
		expect(text).toBe('Voici la réponse, élégante 🎉 et complète.');
		expect(reasoning).toBe('Je réfléchis.');
		expect(end.finishReason).toBe('stop');
		expect(end.usage.outputTokens).toBeGreaterThan(0);
		expect(end.usage.inputTokens).toBeGreaterThan(0);
		const sent = fake.requests[0];
		expect(sent.body).toMatchObject({ model: 'fake-model', stream: true, max_tokens: 256, stream_options: { include_usage: true } });
		expect(sent.messages).toEqual([
			{ role: 'system', content: 'Tu es utile.' },
			{ role: 'user', content: 'Bonjour' }
		]);
		expect(sent.headers.authorization).toBe('Bearer secret');
	});

	it('keeps multi-byte characters whole when the network splits them', async () => {
		const port = await freePort();
		const frame = (s: string) => `data: ${JSON.stringify({ choices: [{ delta: { content: s }, finish_reason: null }] })}\n\n`;
		const body = Buffer.from(frame('éà🎉') + `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
		const server = http.createServer(async (_req, res) => {
			res.writeHead(200, { 'content-type': 'text/event-stream' });
			// One byte at a time: every multi-byte character arrives in pieces.
			for (const byte of body) {
				res.write(Buffer.from([byte]));
				await new Promise((r) => setImmediate(r));
			}
			res.end();
		});
		await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
		try {
			const { text } = await run(request(), { baseURL: `http://127.0.0.1:${port}/v1`, apiKey: null, model: 'm' });
			expect(text).toBe('éà🎉');
		} finally {
			server.close();
		}
	});

	it('reports an HTTP refusal as an APICallError with the status and the endpoint\'s message', async () => {
		const err = await run(request(), { ...endpoint, apiKey: 'wrong' }).catch((e) => e);
		expect(APICallError.isInstance(err)).toBe(true);
		expect(err).toMatchObject({ statusCode: 401, message: 'Incorrect API key provided.', isRetryable: false });
	});

	it('retries a retryable status, waiting for Retry-After, then streams', async () => {
		fake.enqueue({ fault: { kind: 'status', status: 429, retryAfterSeconds: 1 } }, { text: 'Enfin.' });
		const started = Date.now();
		const { text } = await run(request({ maxRetries: 1 }));
		expect(text).toBe('Enfin.');
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		expect(fake.requests).toHaveLength(2);
	});

	it('gives up after maxRetries with the last error', async () => {
		fake.enqueue({ fault: { kind: 'status', status: 503 } }, { fault: { kind: 'status', status: 503 } });
		const err = await run(request({ maxRetries: 1 })).catch((e) => e);
		expect(err).toMatchObject({ statusCode: 503, isRetryable: true });
		expect(fake.requests).toHaveLength(2);
	}, 10_000);

	it('does not retry a 400 (a context-length error is the caller\'s to handle)', async () => {
		fake.enqueue({ fault: { kind: 'status', status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 8192 tokens." } });
		const err = await run(request({ maxRetries: 2 })).catch((e) => e);
		expect(err).toMatchObject({ statusCode: 400, isRetryable: false });
		expect(err.responseBody).toContain('context_length_exceeded');
		expect(fake.requests).toHaveLength(1);
	});

	it('reports an unreachable endpoint as a retryable APICallError without a status', async () => {
		const port = await freePort();
		const err = await run(request(), { ...endpoint, baseURL: `http://127.0.0.1:${port}/v1` }).catch((e) => e);
		expect(APICallError.isInstance(err)).toBe(true);
		expect(err.statusCode).toBeUndefined();
		expect(err.isRetryable).toBe(true);
		expect(err.message).toMatch(/Cannot connect .*ECONNREFUSED/);
	});

	it('reports a connection cut mid-stream after delivering what came before it', async () => {
		fake.enqueue({ text: 'un deux trois quatre cinq six', fault: { kind: 'reset', afterTokens: 3 } });
		let text = '';
		const err = await streamChatCompletion(endpoint, request(), { onText: (d) => (text += d), onReasoning: () => {} }).catch((e) => e);
		expect(err).toBeInstanceOf(StreamCutError);
		expect(text).toBe('un deux trois');
	});

	it('reports a malformed chunk', async () => {
		fake.enqueue({ text: 'alpha beta gamma', fault: { kind: 'malformed', afterTokens: 2 } });
		const err = await run().catch((e) => e);
		expect(err).toBeInstanceOf(StreamChunkError);
		expect(err.message).toMatch(/malformed chunk/);
	});

	it('an abort closes the upstream connection at once and rejects', async () => {
		fake.enqueue({ text: 'lent '.repeat(100), tokensPerSecond: 50 });
		const controller = new AbortController();
		let text = '';
		const done = streamChatCompletion(endpoint, request({ signal: controller.signal }), {
			onText: (d) => {
				text += d;
				if (text.length > 10) controller.abort('stopped');
			},
			onReasoning: () => {}
		}).catch((e) => e);
		await done;
		expect(controller.signal.aborted).toBe(true);
		await expect.poll(() => fake.activeStreams()).toBe(0);
		expect(fake.sent()[0].closedByClient).toBe(true);
	});
});

describe('streamChatCompletion with notBefore (the model asked while the turn is being saved)', () => {
	const deferred = () => {
		let resolve!: () => void;
		let reject!: (e: Error) => void;
		const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
		return { promise, resolve, reject };
	};

	it('sends the request at once but hands over no delta before the turn is saved, then all of them in order', async () => {
		const saved = deferred();
		let text = '';
		const done = streamChatCompletion(endpoint, request({ notBefore: saved.promise }), { onText: (d) => (text += d), onReasoning: () => {} });
		await fake.waitForRequests(1);
		await expect.poll(() => fake.sent()[0]?.finished).toBe(true);
		expect(text).toBe('');
		saved.resolve();
		await done;
		expect(text).toBe(fake.sent()[0].text);
	});

	it('drops the answer unread when the turn cannot be saved', async () => {
		const saved = deferred();
		fake.enqueue({ text: 'lent '.repeat(100), tokensPerSecond: 20 });
		let text = '';
		const done = streamChatCompletion(endpoint, request({ notBefore: saved.promise }), { onText: (d) => (text += d), onReasoning: () => {} }).catch((e) => e);
		await fake.waitForRequests(1);
		saved.reject(new Error('insert failed'));
		expect(await done).toMatchObject({ message: 'insert failed' });
		expect(text).toBe('');
		await expect.poll(() => fake.activeStreams()).toBe(0);
	});

	it('a stream cut while waiting still delivers what came before the cut, then the error', async () => {
		const saved = deferred();
		fake.enqueue({ text: 'un deux trois quatre cinq six', fault: { kind: 'reset', afterTokens: 3 } });
		let text = '';
		const done = streamChatCompletion(endpoint, request({ notBefore: saved.promise }), { onText: (d) => (text += d), onReasoning: () => {} }).catch((e) => e);
		await expect.poll(() => fake.activeStreams() === 0 && fake.sent().length === 1).toBe(true);
		saved.resolve();
		expect(await done).toBeInstanceOf(StreamCutError);
		expect(text).toBe('un deux trois');
	});
});

describe('retryDelayMs', () => {
	it('follows retry-after-ms, then retry-after in seconds or as a date, else the backoff', () => {
		expect(retryDelayMs({ 'retry-after-ms': '150' }, 2000)).toBe(150);
		expect(retryDelayMs({ 'retry-after': '3' }, 2000)).toBe(3000);
		const date = retryDelayMs({ 'retry-after': new Date(Date.now() + 5000).toUTCString() }, 2000);
		expect(date).toBeGreaterThan(3000);
		expect(date).toBeLessThanOrEqual(5000);
		expect(retryDelayMs({}, 2000)).toBe(2000);
		expect(retryDelayMs(undefined, 4000)).toBe(4000);
		// A server asking for more than a minute is not followed (the backoff is used instead).
		expect(retryDelayMs({ 'retry-after': '600' }, 2000)).toBe(2000);
		expect(retryDelayMs({ 'retry-after': 'garbage' }, 2000)).toBe(2000);
	});
});
