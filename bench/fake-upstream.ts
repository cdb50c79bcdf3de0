/**
 * The fake model upstream for the benchmarks, run as its own process (its own CPU):
 *
 *   node --import tsx bench/fake-upstream.ts --tokens 200 --tps 50 --ttft 20 [--markdown] [--port 0]
 *
 * Streams answers of exactly `--tokens` tokens (French prose, or with `--markdown` a long answer
 * with code blocks and KaTeX math) at `--tps` tokens/s after `--ttft` ms, using the test
 * fixture's server (tests/fixtures/fake-openai.ts) with recording off. The app's title request
 * (sent after the first answer of a conversation, recognised by its instructions) is answered with
 * a short title after the same TTFT, unpaced, like a real model writing six words.
 * Prints {"url": "http://127.0.0.1:PORT/v1", "tokens": N} on one line, serves until SIGTERM.
 */
import { startFakeOpenAI, tokenize, type RecordedRequest } from '../tests/fixtures/fake-openai';
import { FrenchText, longMarkdownAnswer } from './lib/french';
import { parseFlags } from './lib/figures';

const { opts } = parseFlags();
const tokens = Number(opts.tokens ?? 200);
const tps = Number(opts.tps ?? 50);
const ttft = Number(opts.ttft ?? 20);

function proseTokens(n: number): string[] {
	const g = new FrenchText(42);
	const out: string[] = [];
	while (out.length < n) out.push(...tokenize((out.length ? ' ' : '') + g.sentence()));
	return out.slice(0, n);
}

const answer = opts.markdown === 'true' ? longMarkdownAnswer(tokens, tokenize) : proseTokens(tokens);

function isTitleRequest(req: RecordedRequest): boolean {
	return !req.stream || JSON.stringify(req.messages[0]?.content ?? '').includes('titre court');
}

const fake = await startFakeOpenAI({ port: Number(opts.port ?? 0), record: false });
fake.respond((req) =>
	isTitleRequest(req)
		? { text: 'Démarches administratives en préfecture', ttftMs: ttft }
		: { tokens: answer, tokensPerSecond: tps, ttftMs: ttft }
);
process.stdout.write(JSON.stringify({ url: fake.url, tokens: answer.length, chars: answer.join('').length }) + '\n');
const stop = () => void fake.close().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
