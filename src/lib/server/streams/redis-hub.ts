import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { UIMessageChunk } from 'ai';
import type { StreamHub } from './hub';
import { chunkJson, frameStream, jsonFrame, type FrameSubscriber } from './sse-frames';

/**
 * A StreamHub shared by every app instance through Redis, so a browser can (re)subscribe on any
 * instance behind the load balancer.
 *
 * Keys (all under `keyPrefix`):
 * - `${p}:s:${messageId}` — a Redis Stream, one entry per event, with explicit ids `0-1`, `0-2`, …:
 *   `0-1 o=1` (open marker, written by open() so a subscriber finds the stream before the first
 *   chunk), then `c=<JSON chunk>` per publish, then `e=1` (end marker) on close. Capped with
 *   `MAXLEN ~ maxLen` (safety only) and a TTL: `liveTtlSeconds` while live — refreshed by a
 *   heartbeat of the publishing instance, so a generation whose instance died is forgotten after at
 *   most that long — then `endedTtlSeconds` after close.
 * - `${p}:stop` — pub/sub channel for stop requests.
 * - `${p}:w:${instanceId}` — a tiny per-instance stream used only to wake this instance's
 *   blocking reader (see below); capped and expiring.
 *
 * Why explicit sequential ids: a publish retried after a reconnect cannot be applied twice (Redis
 * refuses an id not above the top one), and a subscriber checks that ids follow each other with no
 * hole, so a chunk lost to a Redis failure (or trimmed away) ends its stream with an error instead
 * of silently showing a different text. Publishes never re-create an expired stream (NOMKSTREAM), so
 * no key is ever left without a TTL.
 *
 * Connections per instance: three, whatever the number of messages or browsers.
 * - `cmd`: every non-blocking command (XADD, EXPIRE, EXISTS, PUBLISH). A single connection keeps
 *   the chunks of a message in publish order (Redis runs one connection's commands in order and
 *   ioredis re-sends unanswered commands in order after a reconnect), and close() resolving after
 *   its own reply means every earlier publish has been answered.
 * - `blocker`: one XREAD BLOCK loop per instance, multiplexing every message that has local
 *   subscribers (`XREAD ... STREAMS k1 k2 … wakeKey id1 id2 … wakeId`). Each message read here is
 *   a "tail" shared by all local subscribers of that message; it keeps the chunks read so far, as
 *   SSE frames built from the stored JSON (never parsed), so a second local subscriber gets the
 *   same history then the live chunks without another Redis read.
 *   A tail added while the loop is blocked wakes it by appending to the instance's wake stream:
 *   since the loop reads that stream from the last id it saw, a wake-up can never be missed (unlike
 *   CLIENT UNBLOCK, which can reach Redis before the XREAD it should interrupt).
 * - `sub`: SUBSCRIBE to the stop channel.
 *
 * Failures: every connection has an 'error' listener (errors are logged, throttled) and reconnects
 * forever. No method rejects except subscribe(), when Redis cannot say within `requestTimeoutMs`
 * whether the stream exists. A failed publish is logged (once per message, with a total at close);
 * a stop request that cannot be published still runs this instance's handlers, and is logged.
 * If the blocking reader cannot reach Redis for `downGraceMs`, the streams of its subscribers
 * error out; a shorter outage is invisible (reading resumes from the last id seen). A stream that disappears while tailed (instance died and the TTL ran out, Redis
 * flushed) errors out within `existsCheckMs`.
 */
export interface RedisStreamHubOptions {
	url: string;
	keyPrefix: string;
	/** TTL of a live stream, refreshed every third of it by the publishing instance. Default 120. */
	liveTtlSeconds?: number;
	/** How long a finished stream stays subscribable (a reconnect racing the end). Default 60. */
	endedTtlSeconds?: number;
	log?: (m: string) => void;
	/** Safety cap on a stream's length (approximate trimming). Default 100 000. */
	maxLen?: number;
	/** How long the blocking reader may fail before its subscribers are ended. Default 10 000. */
	downGraceMs?: number;
	/** XREAD BLOCK duration, also the cadence of the "stream still there" checks. Default 5 000. */
	blockMs?: number;
	/** How often tailed streams are checked for existence. Default 10 000. */
	existsCheckMs?: number;
	/** How long subscribe() and requestStop() wait on an unreachable Redis. Default 5 000. */
	requestTimeoutMs?: number;
}

/** One message read by this instance, shared by all of its local subscribers. */
interface Tail {
	messageId: string;
	key: string;
	lastId: string;
	lastSeq: number;
	frames: string[];
	listeners: Set<FrameSubscriber>;
	done: boolean;
	error?: Error;
}

/** A message this instance publishes. */
interface Outgoing {
	key: string;
	seq: number;
	pending: Set<Promise<unknown>>;
	closing: Promise<void> | null;
	vanished: boolean;
	failures: number;
}

type XReadReply = Array<[key: string, entries: Array<[id: string, fields: string[]]>]> | null;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const isDuplicateId = (err: unknown) => /equal or smaller than the target stream top item/.test(errText(err));

/** Rejects after `ms` (the command itself stays queued; its late answer is ignored). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what}: Redis did not answer within ${ms} ms`)), ms);
	});
	return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class RedisStreamHub implements StreamHub {
	readonly instanceId = randomUUID();
	private readonly prefix: string;
	private readonly liveTtl: number;
	private readonly endedTtl: number;
	private readonly maxLen: number;
	private readonly downGraceMs: number;
	private readonly blockMs: number;
	private readonly existsCheckMs: number;
	private readonly requestTimeoutMs: number;
	private readonly log: (m: string) => void;

	private readonly cmd: Redis;
	private readonly blocker: Redis;
	private readonly sub: Redis;
	private readonly subReady: Promise<void>;

	private readonly outgoing = new Map<string, Outgoing>();
	private heartbeat: NodeJS.Timeout | null = null;

	private readonly tails = new Map<string, Tail>();
	private readonly wakeKey: string;
	private wakeSeq = 0;
	private wakeLastId = '0-0';
	private blocking = false;
	private idleWake: (() => void) | null = null;
	private failingSince: number | null = null;
	private lastExistsCheck = Date.now();
	private readonly loopDone: Promise<void>;

	private readonly stopHandlers: Array<(messageId: string) => void> = [];
	private disposed = false;

	constructor(o: RedisStreamHubOptions) {
		this.prefix = o.keyPrefix;
		this.liveTtl = Math.max(1, Math.round(o.liveTtlSeconds ?? 120));
		this.endedTtl = Math.max(1, Math.round(o.endedTtlSeconds ?? 60));
		this.maxLen = o.maxLen ?? 100_000;
		this.downGraceMs = o.downGraceMs ?? 10_000;
		this.blockMs = o.blockMs ?? 5_000;
		this.existsCheckMs = o.existsCheckMs ?? 10_000;
		this.requestTimeoutMs = o.requestTimeoutMs ?? 5_000;
		this.log = o.log ?? ((m) => console.error(m));
		this.wakeKey = `${this.prefix}:w:${this.instanceId}`;

		const common: RedisOptions = {
			retryStrategy: (times) => Math.min(times * 100, 1_000),
			connectionName: `assistant-hub:${this.instanceId.slice(0, 8)}`
		};
		// A command waits through about 5 to 10 s of reconnect attempts (a Redis restart) before failing.
		this.cmd = new Redis(o.url, { ...common, maxRetriesPerRequest: 10, socketTimeout: 15_000 });
		// The blocked read fails at once when the connection drops; the loop retries it itself.
		this.blocker = new Redis(o.url, { ...common, maxRetriesPerRequest: 0, socketTimeout: this.blockMs + 10_000 });
		this.sub = new Redis(o.url, { ...common });
		for (const [name, conn] of [['cmd', this.cmd], ['blocker', this.blocker], ['sub', this.sub]] as const) {
			conn.on('error', this.throttledLogger(`[redis-hub] ${name} connection`));
		}

		const stopChannel = this.stopChannel;
		this.sub.on('message', (channel: string, payload: string) => {
			if (channel !== stopChannel) return;
			let msg: { from?: string; id?: string };
			try {
				msg = JSON.parse(payload);
			} catch {
				return;
			}
			// The asking instance already ran its own handlers.
			if (msg.from === this.instanceId || typeof msg.id !== 'string') return;
			this.runStopHandlers(msg.id);
		});
		this.subReady = this.sub.subscribe(stopChannel).then(
			() => undefined,
			(err) => {
				if (!this.disposed) this.log(`[redis-hub] subscribe to stop requests failed: ${errText(err)}`);
			}
		);

		this.loopDone = this.readLoop().catch((err) => this.log(`[redis-hub] reader crashed: ${(err as Error).stack ?? err}`));
	}

	/** Resolves once this instance listens to stop requests (tests, startup). */
	ready(): Promise<void> {
		return this.subReady;
	}

	private get stopChannel() {
		return `${this.prefix}:stop`;
	}

	private streamKey(messageId: string) {
		return `${this.prefix}:s:${messageId}`;
	}

	private throttledLogger(what: string) {
		let last = '';
		let at = 0;
		return (err: unknown) => {
			const text = errText(err);
			const now = Date.now();
			if (text === last && now - at < 30_000) return;
			last = text;
			at = now;
			this.log(`${what}: ${text}`);
		};
	}

	/* ---------------------------------------------------------------- publishing */

	async open(messageId: string): Promise<void> {
		if (this.disposed) return;
		const key = this.streamKey(messageId);
		const out: Outgoing = { key, seq: 1, pending: new Set(), closing: null, vanished: false, failures: 0 };
		this.outgoing.set(messageId, out);
		this.startHeartbeat();
		// Sent before any publish or subscribe that follows on this connection, so they see it.
		const p = this.cmd
			.multi()
			.del(key)
			.xadd(key, 'MAXLEN', '~', this.maxLen, '0-1', 'o', '1')
			.expire(key, this.liveTtl)
			.exec()
			.then((res) => {
				const failed = res?.find(([err]) => err);
				if (!res || failed) throw failed?.[0] ?? new Error('transaction aborted');
			})
			.catch((err) => this.log(`[redis-hub] open ${messageId} failed: ${errText(err)}`));
		this.track(out, p);
		await p;
	}

	publish(messageId: string, chunk: UIMessageChunk): void {
		const out = this.outgoing.get(messageId);
		if (!out || out.closing || this.disposed) return;
		const seq = ++out.seq;
		// Never throws (an unserialisable chunk becomes an error chunk): a hole in the ids would make subscribers give up.
		const json = chunkJson(chunk, (err) => this.log(`[redis-hub] publish ${messageId}: ${errText(err)}`));
		const p = this.cmd
			.xadd(out.key, 'NOMKSTREAM', 'MAXLEN', '~', this.maxLen, `0-${seq}`, 'c', json)
			.then((id) => {
				if (id === null && !out.vanished) {
					out.vanished = true;
					this.log(`[redis-hub] publish ${messageId}: stream no longer exists (expired or flushed)`);
				}
			})
			.catch((err) => {
				// Re-sent after a reconnect although Redis had already stored it: nothing lost.
				if (isDuplicateId(err)) return;
				// One line per message (the total comes with close), not one per chunk.
				if (out.failures++ === 0) this.log(`[redis-hub] publish ${messageId} #${seq} failed: ${errText(err)}`);
			});
		this.track(out, p);
	}

	close(messageId: string): Promise<void> {
		const out = this.outgoing.get(messageId);
		if (!out) return Promise.resolve();
		if (out.closing) return out.closing;
		const seq = ++out.seq;
		const end = this.cmd
			.pipeline()
			.xadd(out.key, 'NOMKSTREAM', 'MAXLEN', '~', this.maxLen, `0-${seq}`, 'e', '1')
			.expire(out.key, this.endedTtl)
			.exec()
			.then((res) => {
				const err = res?.find(([e]) => e && !isDuplicateId(e))?.[0];
				if (err) throw err;
			})
			.catch((err) => this.log(`[redis-hub] close ${messageId} failed: ${errText(err)}`));
		out.closing = (async () => {
			// Replies come in order on one connection; waiting on all of them also covers failures.
			await Promise.allSettled([...out.pending, end]);
			if (out.failures > 1) this.log(`[redis-hub] ${messageId}: ${out.failures} chunks could not be published`);
			if (this.outgoing.get(messageId) === out) this.outgoing.delete(messageId);
			if (this.outgoing.size === 0) this.stopHeartbeat();
		})();
		return out.closing;
	}

	private track(out: Outgoing, p: Promise<unknown>) {
		out.pending.add(p);
		void p.finally(() => out.pending.delete(p));
	}

	private startHeartbeat() {
		if (this.heartbeat) return;
		this.heartbeat = setInterval(() => {
			const live = [...this.outgoing.values()].filter((o) => !o.closing && !o.vanished);
			if (live.length === 0) return;
			const pipe = this.cmd.pipeline();
			for (const o of live) pipe.expire(o.key, this.liveTtl);
			pipe.exec().catch((err) => this.log(`[redis-hub] heartbeat failed: ${errText(err)}`));
		}, Math.max(1_000, (this.liveTtl * 1000) / 3));
		this.heartbeat.unref();
	}

	private stopHeartbeat() {
		if (this.heartbeat) clearInterval(this.heartbeat);
		this.heartbeat = null;
	}

	/* ---------------------------------------------------------------- subscribing */

	async subscribe(messageId: string, signal?: AbortSignal): Promise<ReadableStream<Uint8Array> | null> {
		if (this.disposed) return null;
		let tail = this.tails.get(messageId);
		if (!tail) {
			const key = this.streamKey(messageId);
			const exists = await withTimeout(this.cmd.exists(key), this.requestTimeoutMs, `subscribe ${messageId}`);
			if (exists === 0) return null;
			if (this.disposed) return null;
			// Another subscribe may have created it while we waited.
			tail = this.tails.get(messageId);
			if (!tail) {
				tail = { messageId, key, lastId: '0-0', lastSeq: 0, frames: [], listeners: new Set(), done: false };
				this.tails.set(messageId, tail);
				this.wake();
			}
		}
		const t = tail;
		return frameStream(
			t.frames,
			(subscriber) => {
				if (t.done) return subscriber.end(t.error);
				t.listeners.add(subscriber);
				return () => {
					t.listeners.delete(subscriber);
					if (t.listeners.size === 0 && !t.done && this.tails.get(t.messageId) === t) {
						// Nobody left here: the reader forgets it (a later subscriber starts a new tail).
						this.tails.delete(t.messageId);
						t.done = true;
						t.frames = [];
					}
				};
			},
			signal
		);
	}

	/** Makes the reader take new tails into account now, even while it is blocked in XREAD. */
	private wake() {
		if (this.idleWake) {
			this.idleWake();
			this.idleWake = null;
		} else if (this.blocking) {
			this.cmd
				.pipeline()
				.xadd(this.wakeKey, 'MAXLEN', '~', 100, `0-${++this.wakeSeq}`, 'w', '1')
				.expire(this.wakeKey, 3600)
				.exec()
				.catch((err) => this.log(`[redis-hub] wake failed: ${errText(err)}`));
		}
		// Otherwise the loop is between two reads and will include the new tail in the next one.
	}

	private finishTail(tail: Tail, err?: Error) {
		if (tail.done) return;
		tail.done = true;
		tail.error = err;
		if (this.tails.get(tail.messageId) === tail) this.tails.delete(tail.messageId);
		const listeners = [...tail.listeners];
		tail.listeners.clear();
		for (const l of listeners) l.end(err);
		tail.frames = [];
	}

	private async readLoop(): Promise<void> {
		while (!this.disposed) {
			if (this.tails.size === 0) {
				await new Promise<void>((resolve) => (this.idleWake = resolve));
				continue;
			}
			const tails = [...this.tails.values()];
			const byKey = new Map(tails.map((t) => [t.key, t]));
			let reply: XReadReply;
			this.blocking = true;
			try {
				reply = (await this.blocker.xread(
					'COUNT',
					1000,
					'BLOCK',
					this.blockMs,
					'STREAMS',
					...tails.map((t) => t.key),
					this.wakeKey,
					...tails.map((t) => t.lastId),
					this.wakeLastId
				)) as XReadReply;
				this.failingSince = null;
			} catch (err) {
				this.blocking = false;
				if (this.disposed) break;
				const now = Date.now();
				this.failingSince ??= now;
				if (now - this.failingSince >= this.downGraceMs) {
					const error = new Error(`live stream lost: Redis unreachable (${errText(err)})`);
					for (const t of this.tails.values()) this.finishTail(t, error);
				}
				await sleep(250);
				continue;
			}
			this.blocking = false;
			for (const [key, entries] of reply ?? []) {
				if (key === this.wakeKey) {
					if (entries.length) this.wakeLastId = entries[entries.length - 1][0];
					continue;
				}
				const tail = byKey.get(key);
				if (tail) this.deliver(tail, entries);
			}
			if (Date.now() - this.lastExistsCheck >= this.existsCheckMs) await this.checkTailsExist();
		}
	}

	private deliver(tail: Tail, entries: Array<[string, string[]]>) {
		for (const [id, fields] of entries) {
			if (tail.done) return;
			const seq = id.startsWith('0-') ? Number(id.slice(2)) : NaN;
			if (seq !== tail.lastSeq + 1) {
				this.finishTail(tail, new Error(`live stream ${tail.messageId} has a hole (expected #${tail.lastSeq + 1}, got ${id})`));
				return;
			}
			tail.lastSeq = seq;
			tail.lastId = id;
			const kind = fields[0];
			if (kind === 'c') {
				const json = fields[1];
				if (!json) {
					this.finishTail(tail, new Error(`live stream ${tail.messageId}: unreadable chunk ${id}`));
					return;
				}
				// Written by chunkJson at publish: relayed as it is, never parsed.
				const frame = jsonFrame(json);
				tail.frames.push(frame);
				for (const l of tail.listeners) l.push(frame);
			} else if (kind === 'e') {
				this.finishTail(tail);
				return;
			}
			// 'o' (open marker): nothing to deliver.
		}
	}

	/** Ends the tails whose stream vanished (publisher gone and TTL elapsed, Redis flushed). */
	private async checkTailsExist() {
		this.lastExistsCheck = Date.now();
		const tails = [...this.tails.values()];
		if (tails.length === 0) return;
		try {
			const pipe = this.cmd.pipeline();
			for (const t of tails) pipe.exists(t.key);
			const res = (await pipe.exec()) ?? [];
			tails.forEach((t, i) => {
				const [err, n] = res[i] ?? [];
				if (!err && n === 0) this.finishTail(t, new Error(`live stream ${t.messageId} expired before its end`));
			});
		} catch {
			/* Redis trouble: the read loop's grace period handles it. */
		}
	}

	/* ---------------------------------------------------------------- stop requests */

	async requestStop(messageId: string): Promise<void> {
		this.runStopHandlers(messageId);
		if (this.disposed) return;
		try {
			const payload = JSON.stringify({ from: this.instanceId, id: messageId });
			await withTimeout(this.cmd.publish(this.stopChannel, payload), this.requestTimeoutMs, `stop ${messageId}`);
		} catch (err) {
			this.log(`[redis-hub] stop request for ${messageId} could not reach other instances: ${errText(err)}`);
		}
	}

	onStopRequest(handler: (messageId: string) => void): void {
		this.stopHandlers.push(handler);
	}

	private runStopHandlers(messageId: string) {
		for (const h of this.stopHandlers) {
			try {
				h(messageId);
			} catch (err) {
				this.log(`[redis-hub] stop handler failed for ${messageId}: ${errText(err)}`);
			}
		}
	}

	/* ---------------------------------------------------------------- shutdown */

	async dispose(): Promise<void> {
		if (this.disposed) return;
		this.disposed = true;
		this.stopHeartbeat();
		for (const t of [...this.tails.values()]) this.finishTail(t);
		this.idleWake?.();
		this.idleWake = null;
		// Let what was already published reach Redis, but do not wait on a Redis that is away.
		const pending = [...this.outgoing.values()].flatMap((o) => [...o.pending]);
		const cleanup = this.cmd.del(this.wakeKey).catch(() => undefined);
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([
			Promise.allSettled([...pending, cleanup]),
			new Promise<void>((r) => (timer = setTimeout(r, 2_000)))
		]);
		clearTimeout(timer);
		this.outgoing.clear();
		this.cmd.disconnect();
		this.blocker.disconnect();
		this.sub.disconnect();
		await this.loopDone;
	}
}
