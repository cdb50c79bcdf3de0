import path from 'node:path';
import { Redis } from 'ioredis';
import { readConfig, type AppConfig } from './config';
import { openDatabase, type DatabaseHandle } from './db/client';
import { MemoryStreamHub, type StreamHub } from './streams/hub';
import { ModelRegistry } from './models/registry';
import { ModelHealth } from './models/health';
import { ChatService } from './chat/service';
import { ensureLocalUser } from './auth/local-user';
import { OidcClient } from './auth/oidc';
import { MemoryCounterStore, RedisCounterStore, type CounterStore } from './ratelimit/counters';
import { UsageLimits } from './ratelimit/limits';

/** Everything a request handler needs, built once per process. */
export interface App {
	config: AppConfig;
	database: DatabaseHandle;
	models: ModelRegistry;
	chat: ChatService;
	hub: StreamHub;
	limits: UsageLimits;
	/** The OpenID provider client, discovered on first use (null in local mode). */
	oidc(): Promise<OidcClient>;
	close(): Promise<void>;
}

function connectRedis(url: string): Redis {
	const redis = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
	redis.on('error', (err) => console.error(`[redis] ${err.message}`));
	return redis;
}

async function createHub(config: AppConfig): Promise<StreamHub> {
	if (!config.redisUrl) return new MemoryStreamHub();
	const { RedisStreamHub } = await import('./streams/redis-hub');
	return new RedisStreamHub({
		url: config.redisUrl,
		keyPrefix: `${config.redisKeyPrefix}:streams`,
		log: (m) => console.error(m)
	});
}

export async function createApp(config: AppConfig = readConfig()): Promise<App> {
	const database = await openDatabase({
		databaseUrl: config.databaseUrl,
		pgliteDir: config.databaseUrl ? null : path.join(config.dataDir, 'pglite'),
		poolSize: config.databasePoolSize,
		pgliteSharedBuffers: config.pgliteSharedBuffers
	});
	if (config.mode === 'local') await ensureLocalUser(database.db);
	const health = new ModelHealth(config.models, { intervalMs: config.modelHealthIntervalMs, log: (m) => console.warn(m) });
	const models = new ModelRegistry(config.models, health);
	const hub = await createHub(config);
	const counters: CounterStore = config.redisUrl
		? new RedisCounterStore(connectRedis(config.redisUrl), `${config.redisKeyPrefix}:counters`)
		: new MemoryCounterStore();
	const limits = new UsageLimits(config.rateLimits, counters);
	const chat = new ChatService({
		db: database.db,
		hub,
		models,
		instanceId: config.instanceId,
		flushIntervalMs: config.flushIntervalMs,
		modelRetries: config.modelRetries,
		idleTimeoutMs: config.streamIdleTimeoutMs,
		health,
		limits: config.limits,
		log: (m) => console.error(m),
		onUsage: (ownerId, tokens) =>
			limits.recordTokens(ownerId, tokens).catch((err) => console.error(`[ratelimit] cannot record usage: ${err.message}`))
	});
	const recovered = await chat.recoverInterrupted({ atStart: true });
	if (recovered > 0) console.warn(`[chat] ${recovered} answer(s) left unfinished by a previous run marked interrupted`);
	chat.startRecoveryLoop();
	health.start();

	let oidc: Promise<OidcClient> | null = null;
	const auth = config.auth;
	return {
		config,
		database,
		models,
		chat,
		hub,
		limits,
		oidc() {
			if (auth.mode !== 'oidc') return Promise.reject(new Error('Sign-in is not configured (local mode)'));
			// A failed discovery is retried on the next sign-in rather than cached.
			oidc ??= OidcClient.discover(auth.oidc).catch((err) => {
				oidc = null;
				throw err;
			});
			return oidc;
		},
		async close() {
			health.stop();
			await chat.shutdown(config.shutdownGraceMs);
			await hub.dispose();
			await counters.close();
			await database.close();
		}
	};
}

let current: Promise<App> | null = null;

/** The process-wide app, created on first use. */
export function getApp(): Promise<App> {
	current ??= createApp();
	return current;
}
