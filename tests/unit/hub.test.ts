import { describe, expect, it } from 'vitest';
import { MemoryStreamHub } from '../../src/lib/server/streams/hub';
import { readChunks } from '../helpers/sse';

async function read(pending: Promise<ReadableStream<Uint8Array> | null>): Promise<string> {
	const chunks = await readChunks(pending);
	return chunks.map((c) => (c.type === 'text-delta' ? c.delta : `<${c.type}>`)).join('');
}

describe('memory stream hub', () => {
	it('gives a late subscriber every chunk from the start, then the live ones, exactly once', async () => {
		const hub = new MemoryStreamHub();
		hub.open('m');
		hub.publish('m', { type: 'start', messageId: 'm' });
		hub.publish('m', { type: 'text-delta', id: 't', delta: 'Bon' });
		const early = read(hub.subscribe('m'));
		hub.publish('m', { type: 'text-delta', id: 't', delta: 'jour' });
		const late = read(hub.subscribe('m'));
		hub.publish('m', { type: 'finish' });
		hub.close('m');
		expect(await early).toBe('<start>Bonjour<finish>');
		expect(await late).toBe('<start>Bonjour<finish>');
		// Still readable right after the end (a reconnect racing the finish).
		expect(await read(hub.subscribe('m'))).toBe('<start>Bonjour<finish>');
		expect(hub.isLive('m')).toBe(false);
		expect(await hub.subscribe('unknown')).toBeNull();
		hub.clear();
	});

	it('detaches a subscriber whose client went away without disturbing the others', async () => {
		const hub = new MemoryStreamHub();
		hub.open('m');
		const gone = new AbortController();
		const a = read(hub.subscribe('m', gone.signal));
		const b = read(hub.subscribe('m'));
		hub.publish('m', { type: 'text-delta', id: 't', delta: 'un' });
		gone.abort();
		hub.publish('m', { type: 'text-delta', id: 't', delta: 'deux' });
		hub.close('m');
		expect(await a).toBe('un');
		expect(await b).toBe('undeux');
		hub.clear();
	});
});
