import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { Redis } from 'ioredis';
import type { UIMessageChunk } from 'ai';
import { RedisStreamHub, type RedisStreamHubOptions } from '../../src/lib/server/streams/redis-hub';
import { parseSse, readChunks } from '../helpers/sse';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test:${Date.now()}:${Math.random().toString(36).slice(2, 8)}`;

const delta = (text: string): UIMessageChunk => ({ type: 'text-delta', id: 't', delta: text });
const start = (id: string): UIMessageChunk => ({ type: 'start', messageId: id });
const finish: UIMessageChunk = { type: 'finish' };

/** Reads a stream to its end: `<type>` for non-text chunks, the delta for text ones. */
async function read(pending: Promise<ReadableStream<Uint8Array> | null> | ReadableStream<Uint8Array> | null) {
	const chunks = await readChunks(pending);
	return chunks.map((c) => (c.type === 'text-delta' ? c.delta : `<${c.type}>`));
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 3_000) {
	const end = Date.now() + ms;
	while (!cond()) {
		if (Date.now() > end) throw new Error('condition not met in time');
		await tick(10);
	}
}

describe('redis stream hub (two app instances)', () => {
	const logs: string[] = [];
	const opts = (extra: Partial<RedisStreamHubOptions> = {}): RedisStreamHubOptions => ({
		url: REDIS_URL,
		keyPrefix: prefix,
		log: (m) => logs.push(m),
		...extra
	});
	let a: RedisStreamHub;
	let b: RedisStreamHub;
	let admin: Redis;

	beforeAll(async () => {
		admin = new Redis(REDIS_URL);
		a = new RedisStreamHub(opts());
		b = new RedisStreamHub(opts());
		await Promise.all([a.ready(), b.ready()]);
	});

	afterAll(async () => {
		await a?.dispose();
		await b?.dispose();
		const keys = await admin.keys(`${prefix}:*`);
		// Nothing is ever left in Redis without an expiry.
		for (const k of keys) expect(await admin.pttl(k), k).toBeGreaterThan(0);
		if (keys.length) await admin.del(...keys);
		admin.disconnect();
	});

	it('gives a subscriber on another instance every chunk from the first, then live ones, exactly once', async () => {
		await a.open('m1');
		a.publish('m1', start('m1'));
		a.publish('m1', delta('Bon'));
		const onB = read(b.subscribe('m1'));
		const onA = read(a.subscribe('m1'));
		await tick(30);
		a.publish('m1', delta('jour'));
		const lateOnB = read(b.subscribe('m1'));
		await tick(30);
		a.publish('m1', delta(' !'));
		a.publish('m1', finish);
		await a.close('m1');
		const expected = ['<start>', 'Bon', 'jour', ' !', '<finish>'];
		expect(await onB).toEqual(expected);
		expect(await onA).toEqual(expected);
		expect(await lateOnB).toEqual(expected);
	});

	it('keeps 1000 quick chunks in order, for early and mid-stream subscribers on both instances', async () => {
		const n = 1000;
		const t0 = performance.now();
		a.open('m-many');
		const early = read(b.subscribe('m-many'));
		for (let i = 0; i < n / 2; i++) a.publish('m-many', delta(`${i},`));
		const mid = [read(b.subscribe('m-many')), read(a.subscribe('m-many'))];
		for (let i = n / 2; i < n; i++) a.publish('m-many', delta(`${i},`));
		await a.close('m-many');
		const published = performance.now() - t0;
		const expected = Array.from({ length: n }, (_, i) => `${i},`);
		const results = await Promise.all([early, ...mid]);
		const total = performance.now() - t0;
		for (const r of results) expect(r).toEqual(expected);
		console.info(`[redis-hub] 1000 chunks: published+closed in ${published.toFixed(0)} ms, 3 subscribers done in ${total.toFixed(0)} ms`);
	});

	it('replays a closed stream to a late subscriber, then ends; unknown ids give null', async () => {
		a.open('m-closed');
		a.publish('m-closed', start('m-closed'));
		a.publish('m-closed', delta('fini'));
		a.publish('m-closed', finish);
		await a.close('m-closed');
		expect(await read(b.subscribe('m-closed'))).toEqual(['<start>', 'fini', '<finish>']);
		expect(await read(a.subscribe('m-closed'))).toEqual(['<start>', 'fini', '<finish>']);
		const ttl = await admin.ttl(`${prefix}:s:m-closed`);
		expect(ttl).toBeGreaterThan(0);
		expect(ttl).toBeLessThanOrEqual(60);
		expect(await b.subscribe('never-opened')).toBeNull();
		expect(await a.subscribe('never-opened')).toBeNull();
	});

	it('finds a stream opened (not awaited) just before, with a live TTL, before any chunk', async () => {
		void a.open('m-fresh');
		const s = a.subscribe('m-fresh');
		expect(await s).not.toBeNull();
		const ttl = await admin.ttl(`${prefix}:s:m-fresh`);
		expect(ttl).toBeGreaterThan(60);
		expect(ttl).toBeLessThanOrEqual(120);
		const onB = read(b.subscribe('m-fresh'));
		a.publish('m-fresh', delta('x'));
		void a.close('m-fresh');
		expect(await read(s)).toEqual(['x']);
		expect(await onB).toEqual(['x']);
	});

	it('detaches an aborted subscriber without disturbing the others', async () => {
		await a.open('m-abort');
		const gone = new AbortController();
		const leaving = read(b.subscribe('m-abort', gone.signal));
		const staying = read(b.subscribe('m-abort'));
		const other = read(a.subscribe('m-abort'));
		a.publish('m-abort', delta('un'));
		await tick(50);
		gone.abort();
		a.publish('m-abort', delta('deux'));
		await a.close('m-abort');
		expect(await leaving).toEqual(['un']);
		expect(await staying).toEqual(['un', 'deux']);
		expect(await other).toEqual(['un', 'deux']);

		// The last subscriber of a message leaving (abort or cancel) lets it go; a new one starts over.
		await a.open('m-cancel');
		a.publish('m-cancel', delta('a'));
		const s = await b.subscribe('m-cancel');
		const reader = s!.getReader();
		expect(parseSse(new TextDecoder().decode((await reader.read()).value))).toEqual([delta('a')]);
		await reader.cancel();
		a.publish('m-cancel', delta('b'));
		const again = read(b.subscribe('m-cancel'));
		await tick(20);
		await a.close('m-cancel');
		expect(await again).toEqual(['a', 'b']);
	});

	it('delivers a stop asked on one instance to the handlers of every instance, once each', async () => {
		const onA: string[] = [];
		const onB: string[] = [];
		a.onStopRequest((id) => onA.push(id));
		b.onStopRequest((id) => onB.push(id));
		await b.requestStop('m-stop');
		await until(() => onA.length > 0);
		expect(onB).toEqual(['m-stop']); // the asking instance runs its own handler at once
		await tick(100);
		expect(onA).toEqual(['m-stop']);
		expect(onB).toEqual(['m-stop']);
	});

	it('serves 50 concurrent messages to 3 subscribers each, spread over both instances', async () => {
		const t0 = performance.now();
		const count = 50;
		const words = 40;
		const texts: string[] = [];
		const readers: Array<Promise<{ i: number; text: string }>> = [];
		const sub = (hub: RedisStreamHub, i: number) =>
			readers.push(read(hub.subscribe(`c${i}`)).then((parts) => ({ i, text: parts.join('') })));
		const generations = Array.from({ length: count }, async (_, i) => {
			const publisher = i % 2 ? a : b;
			const id = `c${i}`;
			texts[i] = '';
			await publisher.open(id);
			sub(i % 3 ? a : b, i); // from the start
			for (let w = 0; w < words; w++) {
				const word = `m${i}w${w} `;
				texts[i] += word;
				publisher.publish(id, delta(word));
				if (w === 10) sub(a, i); // mid-stream on one instance
				if (w === 25) sub(b, i); // mid-stream on the other
				if (w % 5 === 0) await tick(Math.random() * 5);
			}
			await publisher.close(id);
		});
		await Promise.all(generations);
		const results = await Promise.all(readers);
		const elapsed = performance.now() - t0;
		expect(results).toHaveLength(count * 3);
		for (const { i, text } of results) expect(text).toBe(texts[i]);
		console.info(`[redis-hub] 50 messages x 40 chunks x 3 subscribers: ${elapsed.toFixed(0)} ms`);
	});

	it('ends open subscribers on dispose and leaves no handle behind', async () => {
		const count = (list: string[]) =>
			list.filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP' || r === 'Timeout').length;
		const baseline = count(process.getActiveResourcesInfo());
		const c = new RedisStreamHub(opts());
		await c.ready();
		expect(count(process.getActiveResourcesInfo())).toBeGreaterThan(baseline);
		await a.open('m-dispose');
		a.publish('m-dispose', delta('avant'));
		c.onStopRequest(() => undefined);
		const s = read(c.subscribe('m-dispose'));
		c.open('m-dispose-own');
		c.publish('m-dispose-own', delta('x'));
		await tick(50);
		await c.dispose();
		expect(await s).toEqual(['avant']);
		await until(() => count(process.getActiveResourcesInfo()) <= baseline);
		expect(await c.subscribe('m-dispose')).toBeNull();
		await a.close('m-dispose');
	});
});

/** A TCP proxy in front of Redis, to cut the connection of one instance. */
async function startProxy(target = new URL(REDIS_URL)) {
	const sockets = new Set<net.Socket>();
	let dropReplies = false;
	const server = net.createServer((client) => {
		const upstream = net.connect(Number(target.port || 6379), target.hostname);
		sockets.add(client).add(upstream);
		const drop = () => {
			client.destroy();
			upstream.destroy();
			sockets.delete(client);
			sockets.delete(upstream);
		};
		client.on('error', drop).on('close', drop);
		upstream.on('error', drop).on('close', drop);
		client.pipe(upstream);
		upstream.on('data', (d) => dropReplies || client.write(d));
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const port = (server.address() as net.AddressInfo).port;
	return {
		url: `redis://127.0.0.1:${port}`,
		cut() {
			for (const s of sockets) s.destroy();
			sockets.clear();
			dropReplies = false;
		},
		/** Redis still runs the commands, but their answers are lost. */
		loseReplies() {
			dropReplies = true;
		},
		async stop() {
			this.cut();
			await new Promise<void>((r) => server.close(() => r()));
		}
	};
}

describe('redis stream hub when Redis goes away', () => {
	const logs: string[] = [];
	let direct: RedisStreamHub;
	let admin: Redis;

	beforeAll(async () => {
		admin = new Redis(REDIS_URL);
		direct = new RedisStreamHub({ url: REDIS_URL, keyPrefix: prefix, log: (m) => logs.push(m) });
	});
	afterAll(async () => {
		await direct?.dispose();
		const keys = await admin.keys(`${prefix}:*`);
		if (keys.length) await admin.del(...keys);
		admin.disconnect();
	});

	it('rides out a short connection drop: nothing lost, nothing twice', async () => {
		const proxy = await startProxy();
		const far = new RedisStreamHub({ url: proxy.url, keyPrefix: prefix, log: (m) => logs.push(m), blockMs: 1_000 });
		await direct.open('blip');
		direct.publish('blip', delta('a'));
		const s = read(far.subscribe('blip'));
		await tick(50);
		proxy.cut();
		direct.publish('blip', delta('b'));
		await tick(300);
		direct.publish('blip', delta('c'));
		await direct.close('blip');
		expect(await s).toEqual(['a', 'b', 'c']);
		await far.dispose();
		await proxy.stop();
	});

	it('does not duplicate chunks a publisher re-sends after losing their answers', async () => {
		const proxy = await startProxy();
		const far = new RedisStreamHub({ url: proxy.url, keyPrefix: prefix, log: (m) => logs.push(m) });
		await far.open('resend');
		const s = read(direct.subscribe('resend'));
		for (let i = 0; i < 10; i++) far.publish('resend', delta(`${i},`));
		await tick(50);
		proxy.loseReplies();
		for (let i = 10; i < 20; i++) far.publish('resend', delta(`${i},`));
		await tick(100); // Redis has stored them, the publisher heard nothing back
		proxy.cut(); // ioredis reconnects and re-sends the unanswered XADDs
		for (let i = 20; i < 30; i++) far.publish('resend', delta(`${i},`));
		await far.close('resend');
		expect(await s).toEqual(Array.from({ length: 30 }, (_, i) => `${i},`));
		expect(logs.filter((m) => m.includes('publish resend'))).toEqual([]);
		await far.dispose();
		await proxy.stop();
	});

	it('ends subscribers with an error, and rejects nothing unhandled, when Redis stays away', async () => {
		const proxy = await startProxy();
		const farLogs: string[] = [];
		const far = new RedisStreamHub({
			url: proxy.url,
			keyPrefix: prefix,
			log: (m) => farLogs.push(m),
			downGraceMs: 500,
			blockMs: 1_000,
			requestTimeoutMs: 1_000
		});
		await direct.open('down');
		direct.publish('down', delta('a'));
		const s = far.subscribe('down').then((st) => read(st));
		await tick(100);
		const t0 = performance.now();
		await proxy.stop();
		await expect(s).rejects.toThrow(/Redis unreachable/);
		const endedAfter = performance.now() - t0;
		expect(endedAfter).toBeLessThan(5_000);
		// Publishing, closing and asking for a stop on the instance that lost Redis only log.
		const t1 = performance.now();
		far.open('down-own');
		for (let i = 0; i < 20; i++) far.publish('down-own', delta('x'));
		const closed = far.close('down-own');
		const stopped: string[] = [];
		far.onStopRequest((id) => stopped.push(id));
		await far.requestStop('down-own');
		expect(stopped).toEqual(['down-own']);
		// A new subscriber is told Redis is away instead of waiting forever.
		await expect(far.subscribe('down')).rejects.toThrow(/did not answer/);
		await closed;
		const publishFailedAfter = performance.now() - t1;
		expect(farLogs.filter((m) => m.includes('publish down-own'))).toHaveLength(1);
		expect(farLogs.some((m) => m.includes('20 chunks could not be published'))).toBe(true);
		await far.dispose();
		await direct.close('down');
		console.info(
			`[redis-hub] subscriber ended ${endedAfter.toFixed(0)} ms after Redis went away (grace 500 ms); ` +
				`publishes while away failed (logged) after ${publishFailedAfter.toFixed(0)} ms`
		);
	}, 30_000);
});
