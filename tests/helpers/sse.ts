import type { UIMessageChunk } from 'ai';

/** Parses a UI message stream (SSE) body into its chunks. */
export function parseSse(body: string): UIMessageChunk[] {
	return body
		.split('\n\n')
		.map((block) => block.split('\n').find((l) => l.startsWith('data: '))?.slice(6))
		.filter((d): d is string => d !== undefined && d !== '[DONE]')
		.map((d) => JSON.parse(d) as UIMessageChunk);
}

export function sseText(chunks: UIMessageChunk[]): string {
	return chunks.map((c) => (c.type === 'text-delta' ? c.delta : '')).join('');
}

/** Reads a hub subscription (SSE bytes) to its end and returns its chunks. */
export async function readChunks(
	pending: ReadableStream<Uint8Array> | null | Promise<ReadableStream<Uint8Array> | null>
): Promise<UIMessageChunk[]> {
	const stream = await pending;
	if (!stream) throw new Error('no live stream');
	const decoder = new TextDecoder();
	let body = '';
	for await (const bytes of stream as unknown as AsyncIterable<Uint8Array>) body += decoder.decode(bytes, { stream: true });
	return parseSse(body + decoder.decode());
}
