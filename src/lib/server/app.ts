import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { readConfig, type AppConfig } from './config';
import { openDatabase, type DatabaseHandle } from './db/client';
import { MemoryStreamHub } from './streams/hub';
import { ModelRegistry } from './models/registry';
import { ChatService } from './chat/service';
import { ensureLocalUser } from './auth/local-user';

/** Everything a request handler needs, built once per process. */
export interface App {
	config: AppConfig;
	database: DatabaseHandle;
	models: ModelRegistry;
	chat: ChatService;
	hub: MemoryStreamHub;
	instanceId: string;
	close(): Promise<void>;
}

export async function createApp(config: AppConfig = readConfig()): Promise<App> {
	const database = await openDatabase({
		databaseUrl: config.databaseUrl,
		pgliteDir: config.databaseUrl ? null : path.join(config.dataDir, 'pglite')
	});
	await ensureLocalUser(database.db);
	const models = new ModelRegistry(config.models);
	const hub = new MemoryStreamHub();
	const instanceId = randomUUID();
	const chat = new ChatService({
		db: database.db,
		hub,
		models,
		instanceId,
		flushIntervalMs: config.flushIntervalMs,
		modelRetries: config.modelRetries,
		limits: config.limits,
		log: (m) => console.error(m)
	});
	const recovered = await chat.recoverInterrupted();
	if (recovered > 0) console.warn(`[chat] ${recovered} answer(s) left unfinished by a previous run marked interrupted`);
	return {
		config,
		database,
		models,
		chat,
		hub,
		instanceId,
		async close() {
			await chat.shutdown(config.shutdownGraceMs);
			hub.clear();
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
