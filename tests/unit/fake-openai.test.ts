import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, JSONParseError, generateText, streamText, type ModelMessage } from 'ai';
import { startFakeOpenAI, tokenize, type FakeOpenAI } from '../fixtures/fake-openai';

const FIXTURE = fileURLToPath(new URL('../fixtures/fake-openai.ts', import.meta.url));

let fake: FakeOpenAI;

beforeEach(async () => {
	fake = await startFakeOpenAI({ models: ['m', 'm2'] });
});
afterEach(async () => {
	await fake.close();
});

function model(apiKey = 'k', url = fake.url) {
	return createOpenAICompatible({ name: 'fake', baseURL: url, apiKey }).chatModel('m');
}

const hi: ModelMessage[] = [{ role: 'user', content: 'hi' }];

/** Consume a streamText result via textStream, capturing onError errors and a thrown error. */
async function collect(messages: ModelMessage[] = hi, opts: { abortSignal?: AbortSignal; onText?: (text: string) => void } = {}) {
	const errors: unknown[] = [];
	const result = streamText({
		model: model(),
		messages,
		maxRetries: 0,
		abortSignal: opts.abortSignal,
		onError: ({ error }) => {
			errors.push(error);
		}
	});
	let text = '';
	let thrown: unknown;
	try {
		for await (const t of result.textStream) {
			text += t;
			opts.onText?.(text);
		}
	} catch (e) {
		thrown = e;
	}
	return { text, errors, thrown, result };
}

async function until(cond: () => boolean, timeoutMs = 1000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!cond()) {
		if (Date.now() > end) throw new Error('condition not met in time');
		await new Promise((r) => setTimeout(r, 5));
	}
}

describe('tokenize', () => {
	it('keeps whitespace attached so join() round-trips', () => {
		const samples = ['Hello, world!', '  leading and trailing  ', 'ligne 1\n\nligne 2\n', 'é à ç — 🤖 `code` 3.14', ''];
		for (const s of samples) expect(tokenize(s).join('')).toBe(s);
		expect(tokenize('Bonjour le monde.')).toEqual(['Bonjour', ' le', ' monde', '.']);
	});
});

describe('fake OpenAI server with the AI SDK client', () => {
	it('streams a scripted answer fully, with usage, and records the request', async () => {
		const answer = 'Bonjour ! Je suis un assistant **IA**.\n\n- point 1\n- point 2';
		fake.enqueue({ text: answer });
		const { text, errors, thrown, result } = await collect([
			{ role: 'user', content: 'bonjour' },
			{ role: 'assistant', content: 'salut' },
			{ role: 'user', content: 'question' }
		]);
		expect(thrown).toBeUndefined();
		expect(errors).toEqual([]);
		expect(text).toBe(answer);
		expect(await result.finishReason).toBe('stop');
		const usage = await result.usage;
		expect(usage.outputTokens).toBe(tokenize(answer).length);
		expect(usage.inputTokens).toBeGreaterThan(0);

		expect(fake.requests).toHaveLength(1);
		const req = fake.requests[0]!;
		expect(req.model).toBe('m');
		expect(req.stream).toBe(true);
		expect(req.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
		expect(req.headers.authorization).toBe('Bearer k');
		expect(fake.sent()).toEqual([expect.objectContaining({ model: 'm', text: answer, finished: true, closedByClient: false })]);
		expect(fake.activeStreams()).toBe(0);
	});

	it('echoes the last user message by default (string or text parts)', async () => {
		expect((await collect()).text).toBe('Echo: hi');
		const parts = await collect([
			{ role: 'user', content: 'first' },
			{ role: 'assistant', content: 'ok' },
			{
				role: 'user',
				content: [
					{ type: 'text', text: 'deux ' },
					{ type: 'text', text: 'parties' }
				]
			}
		]);
		expect(parts.text).toBe('Echo: deux parties');
	});

	it('uses enqueued scripts first (FIFO), then the default responder', async () => {
		fake.respond((req) => ({ text: `default:${req.messages.length}` }));
		fake.enqueue({ text: 'one' }, { tokens: ['t', 'w', 'o'] });
		expect((await collect()).text).toBe('one');
		expect((await collect()).text).toBe('two');
		expect((await collect()).text).toBe('default:1');
		fake.respond({ text: 'fixed' });
		expect((await collect()).text).toBe('fixed');
		await fake.waitForRequests(4, 100);
		await expect(fake.waitForRequests(5, 30)).rejects.toThrow(/timed out/);
	});

	it('streams reasoning first as reasoning_content', async () => {
		fake.enqueue({ reasoning: 'Je réfléchis.', text: 'Réponse.' });
		const result = streamText({ model: model(), messages: hi, maxRetries: 0 });
		expect(await result.text).toBe('Réponse.');
		expect(await result.reasoningText).toBe('Je réfléchis.');
		expect(fake.sent()[0]).toMatchObject({ reasoning: 'Je réfléchis.', text: 'Réponse.', finished: true });
	});

	it('roughly respects tokensPerSecond and ttftMs', async () => {
		const tokens = Array.from({ length: 20 }, (_, i) => `t${i} `);
		fake.enqueue({ tokens, tokensPerSecond: 100, ttftMs: 30 });
		const t0 = performance.now();
		let firstAt = 0;
		const { text } = await collect(hi, {
			onText: () => {
				firstAt ||= performance.now();
			}
		});
		const elapsed = performance.now() - t0;
		expect(text).toBe(tokens.join(''));
		expect(firstAt - t0).toBeGreaterThanOrEqual(25);
		// ttft 30 ms + 19 intervals of 10 ms = 220 ms
		expect(elapsed).toBeGreaterThanOrEqual(180);
		expect(elapsed).toBeLessThan(1500);
	});

	it('surfaces a 500 status as an APICallError', async () => {
		fake.enqueue({ fault: { kind: 'status', status: 500 } });
		const { text, errors, thrown } = await collect();
		expect(thrown).toBeUndefined(); // textStream just ends; the error goes to onError
		expect(text).toBe('');
		expect(errors).toHaveLength(1);
		const err = errors[0];
		expect(APICallError.isInstance(err)).toBe(true);
		expect((err as APICallError).statusCode).toBe(500);
		expect((err as APICallError).isRetryable).toBe(true);
	});

	it('surfaces a 400 context_length_exceeded with the OpenAI error message', async () => {
		fake.enqueue({ fault: { kind: 'status', status: 400, message: 'context too long' } });
		const { errors } = await collect();
		const err = errors[0] as APICallError;
		expect(APICallError.isInstance(err)).toBe(true);
		expect(err.statusCode).toBe(400);
		expect(err.message).toBe('context too long');
		expect(JSON.parse(err.responseBody!)).toEqual({
			error: { message: 'context too long', type: 'invalid_request_error', param: null, code: 'context_length_exceeded' }
		});
	});

	it('sends Retry-After on 429 (raw fetch)', async () => {
		fake.enqueue({ fault: { kind: 'status', status: 429, retryAfterSeconds: 7 } });
		const res = await fetch(`${fake.url}/chat/completions`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ model: 'm', stream: true, messages: hi })
		});
		expect(res.status).toBe(429);
		expect(res.headers.get('retry-after')).toBe('7');
		const body = (await res.json()) as { error: { code: string; type: string; message: string } };
		expect(body.error.code).toBe('rate_limit_exceeded');
		expect(typeof body.error.message).toBe('string');
	});

	it('reset mid-stream: partial text, then the stream throws', async () => {
		fake.enqueue({ text: 'un deux trois quatre cinq', fault: { kind: 'reset', afterTokens: 3 } });
		const { text, thrown, errors } = await collect();
		expect(text).toBe('un deux trois');
		// The AI SDK throws from the stream iteration (onError is NOT called) with
		// APICallError "Failed to process successful response", cause TypeError('terminated').
		expect(APICallError.isInstance(thrown)).toBe(true);
		expect((thrown as Error).message).toMatch(/Failed to process successful response/);
		expect(((thrown as Error).cause as Error).message).toBe('terminated');
		expect(errors).toEqual([]);
		expect(fake.sent()[0]).toMatchObject({ text: 'un deux trois', tokens: 3, finished: false, closedByClient: false });
		expect(fake.activeStreams()).toBe(0);
	});

	it('stall: aborting the client closes the connection, server sees closedByClient', async () => {
		fake.enqueue({ text: 'a b c d e', fault: { kind: 'stall', afterTokens: 2 } });
		const ac = new AbortController();
		const { text, thrown, errors } = await collect(hi, {
			abortSignal: ac.signal,
			onText: (t) => {
				if (t === 'a b') setTimeout(() => ac.abort(), 20);
			}
		});
		expect(text).toBe('a b');
		expect(thrown).toBeUndefined(); // abort ends textStream silently
		expect(errors).toEqual([]);
		await until(() => fake.activeStreams() === 0);
		expect(fake.sent()[0]).toMatchObject({ text: 'a b', closedByClient: true, finished: false });
	});

	it('malformed chunk surfaces as a JSONParseError', async () => {
		fake.enqueue({ text: 'a b c d', fault: { kind: 'malformed', afterTokens: 2 } });
		const { text, thrown, errors, result } = await collect();
		expect(text).toBe('a b');
		expect(thrown).toBeUndefined();
		expect(errors).toHaveLength(1);
		expect(JSONParseError.isInstance(errors[0])).toBe(true);
		expect(await result.finishReason).toBe('error');
		expect(fake.sent()[0]).toMatchObject({ text: 'a b', finished: false, closedByClient: false });
	});

	it('non-streaming generateText works', async () => {
		fake.enqueue({ text: 'Titre de la conversation', reasoning: 'hmm' });
		const r = await generateText({ model: model(), prompt: 'résume', maxRetries: 0 });
		expect(r.text).toBe('Titre de la conversation');
		expect(r.reasoningText).toBe('hmm');
		expect(r.finishReason).toBe('stop');
		expect(r.usage.outputTokens).toBe(tokenize('Titre de la conversation').length + 1);
		expect(fake.requests[0]!.stream).toBe(false);
		expect(fake.sent()).toEqual([]); // only streamed requests are listed
	});

	it('enforces the API key (401) and lists models', async () => {
		const secured = await startFakeOpenAI({ apiKey: 'secret', models: ['alpha', 'beta'] });
		try {
			await expect(generateText({ model: model('wrong', secured.url), prompt: 'x', maxRetries: 0 })).rejects.toSatisfy(
				(e: unknown) => APICallError.isInstance(e) && e.statusCode === 401
			);
			const ok = await generateText({ model: model('secret', secured.url), prompt: 'x', maxRetries: 0 });
			expect(ok.text).toBe('Echo: x');

			expect((await fetch(`${secured.url}/models`)).status).toBe(401);
			const res = await fetch(`${secured.url}/models`, { headers: { authorization: 'Bearer secret' } });
			const list = (await res.json()) as { data: Array<{ id: string }> };
			expect(list.data.map((m) => m.id)).toEqual(['alpha', 'beta']);
		} finally {
			await secured.close();
		}
	});

	it('handles many concurrent streams', async () => {
		fake.respond({ text: 'x '.repeat(20), tokensPerSecond: 200 });
		const results = await Promise.all(Array.from({ length: 40 }, () => collect()));
		for (const r of results) expect(r.text).toBe('x '.repeat(20));
		expect(fake.sent()).toHaveLength(40);
		expect(fake.sent().every((s) => s.finished)).toBe(true);
		expect(fake.activeStreams()).toBe(0);
	});

	it('close() tears down open streams promptly', async () => {
		const s = await startFakeOpenAI();
		s.respond({ fault: { kind: 'stall', afterTokens: 1 } });
		const res = await fetch(`${s.url}/chat/completions`, {
			method: 'POST',
			body: JSON.stringify({ model: 'm', stream: true, messages: hi })
		});
		expect(res.status).toBe(200);
		expect(s.activeStreams()).toBe(1);
		const t0 = performance.now();
		await s.close();
		expect(performance.now() - t0).toBeLessThan(500);
		await expect(res.text()).rejects.toThrow();
		expect(s.activeStreams()).toBe(0);
	});
});

describe('standalone mode', () => {
	it('prints its URL as JSON and serves until SIGTERM', async () => {
		const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, '--port', '0', '--text', 'Salut tout le monde', '--tps', '500', '--ttft', '5'], {
			stdio: ['ignore', 'pipe', 'inherit']
		});
		try {
			const line = await new Promise<string>((resolve, reject) => {
				const rl = createInterface({ input: child.stdout! });
				rl.once('line', resolve);
				child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
			});
			const { url } = JSON.parse(line) as { url: string };
			expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
			const r = await generateText({ model: model('k', url), prompt: 'x', maxRetries: 0 });
			expect(r.text).toBe('Salut tout le monde');
			const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
			child.kill('SIGTERM');
			expect(await exited).toBe(0);
		} finally {
			if (child.exitCode === null) child.kill('SIGKILL');
		}
	});
});
