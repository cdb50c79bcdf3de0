import type { Redis } from 'ioredis';

/** Expiring counters: in Redis so several instances share them, or in this process's memory. */
export interface CounterStore {
	/** Adds `by` to the counter (created at 0 with the given lifetime) and returns the new value. */
	increment(key: string, by: number, ttlMs: number): Promise<number>;
	get(key: string): Promise<number>;
	close(): Promise<void>;
}

export class MemoryCounterStore implements CounterStore {
	private counters = new Map<string, { value: number; expiresAt: number }>();
	private sweeps = 0;

	async increment(key: string, by: number, ttlMs: number): Promise<number> {
		const now = Date.now();
		if (++this.sweeps % 1000 === 0) for (const [k, c] of this.counters) if (c.expiresAt <= now) this.counters.delete(k);
		const current = this.counters.get(key);
		const counter = current && current.expiresAt > now ? current : { value: 0, expiresAt: now + ttlMs };
		counter.value += by;
		this.counters.set(key, counter);
		return counter.value;
	}

	async get(key: string): Promise<number> {
		const c = this.counters.get(key);
		return c && c.expiresAt > Date.now() ? c.value : 0;
	}

	async close(): Promise<void> {
		this.counters.clear();
	}
}

export class RedisCounterStore implements CounterStore {
	constructor(
		private readonly redis: Redis,
		private readonly prefix: string
	) {}

	async increment(key: string, by: number, ttlMs: number): Promise<number> {
		const k = `${this.prefix}:${key}`;
		const result = await this.redis.multi().incrby(k, by).pexpire(k, ttlMs, 'NX').exec();
		const [err, value] = result![0];
		if (err) throw err;
		return Number(value);
	}

	async get(key: string): Promise<number> {
		return Number((await this.redis.get(`${this.prefix}:${key}`)) ?? 0);
	}

	async close(): Promise<void> {
		await this.redis.quit().catch(() => this.redis.disconnect());
	}
}
