import { describe, expect, it } from 'vitest';
import { JsonToSseTransformStream, type UIMessageChunk } from 'ai';
import { DONE_FRAME, frameStream, toFrame, type FrameSubscriber } from '../../src/lib/server/streams/sse-frames';
import { MemoryStreamHub } from '../../src/lib/server/streams/hub';
import { parseSse, readChunks } from '../helpers/sse';

const delta = (text: string): UIMessageChunk => ({ type: 'text-delta', id: 't', delta: text });
const decoder = new TextDecoder();

/** A frame stream over `history` whose subscriber the test drives by hand. */
function driven(history: string[] = [], signal?: AbortSignal) {
	let subscriber: FrameSubscriber | null = null;
	let detached = 0;
	const stream = frameStream(
		history,
		(s) => {
			subscriber = s;
			return () => detached++;
		},
		signal
	);
	return { reader: stream.getReader(), sub: subscriber!, detached: () => detached };
}

const pending = <T>(p: Promise<T>) => Promise.race([p.then(() => 'settled'), new Promise((r) => setTimeout(() => r('pending'), 20))]);

describe('SSE frames', () => {
	const chunks: UIMessageChunk[] = [
		{ type: 'start', messageId: 'm' },
		{ type: 'text-start', id: 't' },
		delta('Café ☕ 🇫🇷 "quoted"\nline'),
		{ type: 'text-end', id: 't' },
		{ type: 'finish' }
	];

	it('writes exactly the bytes createUIMessageStreamResponse would', async () => {
		const expected = await new Response(
			new ReadableStream<UIMessageChunk>({
				start(c) {
					for (const chunk of chunks) c.enqueue(chunk);
					c.close();
				}
			})
				.pipeThrough(new JsonToSseTransformStream())
				.pipeThrough(new TextEncoderStream())
		).arrayBuffer();
		const hub = new MemoryStreamHub();
		hub.open('m');
		for (const chunk of chunks) hub.publish('m', chunk);
		hub.close('m');
		const actual = await new Response(await hub.subscribe('m')).arrayBuffer();
		expect(new Uint8Array(actual)).toEqual(new Uint8Array(expected));
		expect(toFrame(chunks[0])).toBe('data: {"type":"start","messageId":"m"}\n\n');
		hub.clear();
	});

	it('coalesces the frames published while the reader is idle into one read', async () => {
		const { reader, sub } = driven([toFrame(delta('a'))]);
		expect(decoder.decode((await reader.read()).value)).toBe(toFrame(delta('a')));
		const waiting = reader.read();
		expect(await pending(waiting)).toBe('pending'); // nothing queued: the pull waits
		sub.push(toFrame(delta('b')));
		expect(parseSse(decoder.decode((await waiting).value))).toEqual([delta('b')]);
		for (let i = 0; i < 100; i++) sub.push(toFrame(delta(`${i},`)));
		const { value } = await reader.read();
		expect(parseSse(decoder.decode(value))).toEqual(Array.from({ length: 100 }, (_, i) => delta(`${i},`)));
	});

	it('ends with [DONE] after the queued frames', async () => {
		const { reader, sub } = driven();
		sub.push(toFrame(delta('x')));
		sub.end();
		sub.push(toFrame(delta('too late')));
		expect(decoder.decode((await reader.read()).value)).toBe(toFrame(delta('x')) + DONE_FRAME);
		expect((await reader.read()).done).toBe(true);
	});

	it('errors after the queued frames when the source fails', async () => {
		const { reader, sub } = driven();
		sub.push(toFrame(delta('x')));
		sub.end(new Error('lost'));
		expect(decoder.decode((await reader.read()).value)).toBe(toFrame(delta('x')));
		await expect(reader.read()).rejects.toThrow('lost');
	});

	it('detaches and ends without [DONE] when the signal aborts, and on cancel', async () => {
		const gone = new AbortController();
		const a = driven([], gone.signal);
		a.sub.push(toFrame(delta('un')));
		const read = a.reader.read();
		gone.abort();
		expect(a.detached()).toBe(1);
		a.sub.push(toFrame(delta('deux')));
		expect(decoder.decode((await read).value)).toBe(toFrame(delta('un')));
		expect((await a.reader.read()).done).toBe(true);

		const b = driven();
		const waiting = b.reader.read();
		await b.reader.cancel();
		expect(b.detached()).toBe(1);
		expect((await waiting).done).toBe(true);

		const aborted = new AbortController();
		aborted.abort();
		expect(driven([], aborted.signal).detached()).toBe(1);
	});

	it('gives a subscriber arriving after close everything, then [DONE]', async () => {
		const hub = new MemoryStreamHub();
		hub.open('m');
		for (const chunk of chunks) hub.publish('m', chunk);
		hub.close('m');
		const body = await new Response(await hub.subscribe('m')).text();
		expect(body.endsWith(`}\n\n${DONE_FRAME}`)).toBe(true);
		expect(parseSse(body)).toEqual(chunks);
		expect(await readChunks(hub.subscribe('m'))).toEqual(chunks);
		hub.clear();
	});

	it('keeps multi-byte characters intact', async () => {
		const { reader, sub } = driven();
		const text = 'é, 漢字, 👩‍💻, 🇫🇷';
		for (const ch of text) sub.push(toFrame(delta(ch)));
		sub.end();
		// Each read holds whole frames, so no character is ever split across two reads.
		const body = decoder.decode((await reader.read()).value, { stream: true });
		expect(body).toBe([...text].map((ch) => toFrame(delta(ch))).join('') + DONE_FRAME);
		expect(parseSse(body).map((c) => (c.type === 'text-delta' ? c.delta : '')).join('')).toBe(text);
	});

	it('turns a chunk that cannot be serialised into an error chunk instead of throwing', () => {
		const cyclic = { type: 'data-x', data: {} } as UIMessageChunk & { data: { self?: unknown } };
		cyclic.data.self = cyclic;
		expect(parseSse(toFrame(cyclic))).toEqual([{ type: 'error', errorText: 'unserialisable chunk' }]);
	});
});
