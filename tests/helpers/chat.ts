import type { UIMessageChunk } from 'ai';
import { readChunks } from './sse';
import { ModelRegistry } from '../../src/lib/server/models/registry';
import { loadModelCatalog } from '../../src/lib/server/models/catalog';
import { MemoryStreamHub } from '../../src/lib/server/streams/hub';
import { ChatService } from '../../src/lib/server/chat/service';
import { ensureLocalUser } from '../../src/lib/server/auth/local-user';
import type { Database } from '../../src/lib/server/db/client';
import { users } from '../../src/lib/server/db/schema';

export interface ChatTestOptions {
	contextWindow?: number;
	maxOutputTokens?: number;
	modelRetries?: number;
	/** fake-small falls back to fake-large. */
	fallback?: boolean;
	idleTimeoutMs?: number;
}

export function registryFor(baseURL: string, opts: ChatTestOptions = {}): ModelRegistry {
	const catalog = loadModelCatalog({ MODELS_CONFIG: undefined, OPENAI_BASE_URL: baseURL, OPENAI_MODELS: 'fake-small,fake-large' });
	catalog.models = catalog.models.map((m) => ({
		...m,
		contextWindow: opts.contextWindow ?? m.contextWindow,
		maxOutputTokens: opts.maxOutputTokens ?? m.maxOutputTokens,
		fallback: opts.fallback && m.id === 'fake-small' ? 'fake-large' : undefined
	}));
	return new ModelRegistry(catalog);
}

export async function createChatService(db: Database, baseURL: string, opts: ChatTestOptions = {}) {
	await ensureLocalUser(db);
	await db.insert(users).values({ id: 'other', name: 'Other user' }).onConflictDoNothing();
	const hub = new MemoryStreamHub();
	const logs: string[] = [];
	const chat = new ChatService({
		db,
		hub,
		models: registryFor(baseURL, opts),
		instanceId: 'test-instance',
		flushIntervalMs: 100,
		modelRetries: opts.modelRetries ?? 0,
		idleTimeoutMs: opts.idleTimeoutMs ?? 5_000,
		limits: { messageChars: 1000, titleChars: 80 },
		log: (m) => logs.push(m)
	});
	return { chat, hub, logs };
}

/** Reads a hub subscription to its end. */
export const collect = readChunks;

export function textOf(chunks: UIMessageChunk[]): string {
	return chunks.map((c) => (c.type === 'text-delta' ? c.delta : '')).join('');
}
