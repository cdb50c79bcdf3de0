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
