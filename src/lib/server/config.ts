import { z } from 'zod';
import os from 'node:os';
import path from 'node:path';
import { loadModelCatalog, type ModelCatalog } from './models/catalog';
import { readAuthConfig, type AuthConfig, type RateLimitConfig } from './auth/config';
import { DEFAULT_PGLITE_SHARED_BUFFERS } from './db/client';

/** Everything the server reads from its environment, validated once at start. */
export interface AppConfig {
	host: string;
	port: number;
	dataDir: string;
	databaseUrl: string | null;
	/** Connections of this instance to PostgreSQL. */
	databasePoolSize: number;
	/** PGlite's shared_buffers: its memory cache, allocated up front. */
	pgliteSharedBuffers: string;
	redisUrl: string | null;
	/** Prefix of every Redis key, so several deployments can share one Redis. */
	redisKeyPrefix: string;
	/** Stable name of this instance (crash recovery of its own answers after a restart). */
	instanceId: string;
	mode: 'local' | 'oidc';
	auth: AuthConfig;
	rateLimits: RateLimitConfig;
	limits: {
		messageChars: number;
		titleChars: number;
		bodyBytes: number;
	};
	flushIntervalMs: number;
	/** Retries of a model call that fails before its first token. */
	modelRetries: number;
	/** An upstream stream silent this long is given up. */
	streamIdleTimeoutMs: number;
	/** How often each model endpoint is probed (0: never). */
	modelHealthIntervalMs: number;
	/** On SIGTERM, how long running answers may continue before being marked interrupted. */
	shutdownGraceMs: number;
	models: ModelCatalog;
}

export class ConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

const positiveInt = (fallback: number) =>
	z.coerce.number().int().positive().optional().transform((v) => v ?? fallback);

const envSchema = z.object({
	HOST: z.string().min(1).optional(),
	PORT: z.coerce.number().int().min(0).max(65535).optional().transform((v) => v ?? 3000),
	DATA_DIR: z.string().min(1).optional(),
	DATABASE_URL: z
		.string()
		.regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
		.optional(),
	DATABASE_POOL_SIZE: positiveInt(20),
	PGLITE_SHARED_BUFFERS: z
		.string()
		.regex(/^\d+(kB|MB|GB)$/, 'a size such as 32MB')
		.optional()
		.transform((v) => v ?? DEFAULT_PGLITE_SHARED_BUFFERS),
	REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
	REDIS_KEY_PREFIX: z.string().regex(/^[\w:.-]+$/, 'letters, digits, _ : . - only').optional(),
	INSTANCE_ID: z.string().regex(/^[\w:.-]+$/, 'letters, digits, _ : . - only').optional(),
	MAX_MESSAGE_CHARS: positiveInt(32_000),
	MAX_TITLE_CHARS: positiveInt(200),
	BODY_SIZE_LIMIT: positiveInt(512 * 1024),
	FLUSH_INTERVAL_MS: positiveInt(500),
	STREAM_IDLE_TIMEOUT_MS: positiveInt(60_000),
	MODEL_HEALTH_INTERVAL_MS: z.coerce.number().int().min(0).optional().transform((v) => v ?? 30_000),
	MODEL_RETRIES: z.coerce.number().int().min(0).max(5).optional().transform((v) => v ?? 2),
	SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).optional().transform((v) => v ?? 10_000)
});

export function isLoopback(host: string): boolean {
	return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function emptyToUndefined(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
	return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
}

/** Reads and validates the environment; throws ConfigError naming the bad variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
	const parsed = envSchema.safeParse(emptyToUndefined(env));
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new ConfigError(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
	}
	const e = parsed.data;
	const { auth, rateLimits } = readAuthConfig(emptyToUndefined(env));
	const host = e.HOST ?? '127.0.0.1';
	if (auth.mode === 'local' && !isLoopback(host)) {
		throw new ConfigError(
			`HOST=${host} is refused: without sign-in (OIDC_ISSUER unset) the assistant runs in local mode and only listens on a loopback address such as 127.0.0.1.`
		);
	}
	return {
		host,
		port: e.PORT,
		dataDir: path.resolve(e.DATA_DIR ?? './data'),
		databaseUrl: e.DATABASE_URL ?? null,
		databasePoolSize: e.DATABASE_POOL_SIZE,
		pgliteSharedBuffers: e.PGLITE_SHARED_BUFFERS,
		redisUrl: e.REDIS_URL ?? null,
		redisKeyPrefix: e.REDIS_KEY_PREFIX ?? 'assistant-ia',
		instanceId: e.INSTANCE_ID ?? `${os.hostname()}:${e.PORT}`,
		mode: auth.mode,
		auth,
		rateLimits,
		limits: {
			messageChars: e.MAX_MESSAGE_CHARS,
			titleChars: e.MAX_TITLE_CHARS,
			bodyBytes: e.BODY_SIZE_LIMIT
		},
		flushIntervalMs: Math.min(e.FLUSH_INTERVAL_MS, 1000),
		shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
		modelRetries: e.MODEL_RETRIES,
		streamIdleTimeoutMs: e.STREAM_IDLE_TIMEOUT_MS,
		modelHealthIntervalMs: e.MODEL_HEALTH_INTERVAL_MS,
		models: loadModelCatalog(env)
	};
}
