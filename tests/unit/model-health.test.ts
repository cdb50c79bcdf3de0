import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { startFakeOpenAI } from '../fixtures/fake-openai';
import { loadModelCatalog } from '../../src/lib/server/models/catalog';
import { ModelHealth } from '../../src/lib/server/models/health';
import { ModelRegistry } from '../../src/lib/server/models/registry';

function catalogFor(baseURL: string, fallback = true) {
	const c = loadModelCatalog({ OPENAI_BASE_URL: baseURL, OPENAI_MODELS: 'main,spare' });
	if (fallback) c.models[0] = { ...c.models[0], fallback: 'spare' };
	return c;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0)) await c();
});

describe('model health', () => {
	it('is healthy when the endpoint answers, down after two failed probes, healthy again when it comes back', async () => {
		const fake = await startFakeOpenAI({ models: ['main', 'spare'] });
		cleanups.push(() => fake.close());
		const catalog = catalogFor(fake.url);
		const health = new ModelHealth(catalog, { intervalMs: 0 });
		expect(health.status('main')).toBe('unknown');
		await health.probeAll();
		expect(health.status('main')).toBe('healthy');

		// Point the same catalog at a port where nothing listens.
		catalog.providers[0] = { ...catalog.providers[0], baseURL: 'http://127.0.0.1:9/v1' };
		await health.probeAll();
		expect(health.status('main')).toBe('healthy');
		await health.probeAll();
		expect(health.status('main')).toBe('down');

		catalog.providers[0] = { ...catalog.providers[0], baseURL: fake.url };
		await health.probeAll();
		expect(health.status('main')).toBe('healthy');
	});

	it('is degraded when the probe is slow or most real calls fail', async () => {
		const slow = http.createServer((_, res) => setTimeout(() => res.end('{"data":[]}'), 150));
		await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
		cleanups.push(() => new Promise<void>((r) => slow.close(() => r())));
		const { port } = slow.address() as { port: number };
		const health = new ModelHealth(catalogFor(`http://127.0.0.1:${port}/v1`), { intervalMs: 0, slowMs: 50 });
		await health.probeAll();
		expect(health.status('main')).toBe('degraded');

		const fake = await startFakeOpenAI();
		cleanups.push(() => fake.close());
		const calls = new ModelHealth(catalogFor(fake.url), { intervalMs: 0 });
		await calls.probeAll();
		for (const ok of [true, false, false, true, false]) calls.record('main', ok);
		expect(calls.status('main')).toBe('degraded');
		for (const ok of [true, true, true]) calls.record('main', ok);
		expect(calls.status('main')).toBe('healthy');
	});

	it('sends new conversations to the fallback while a model is down, and reports health to the UI', async () => {
		const catalog = catalogFor('http://127.0.0.1:9/v1');
		catalog.providers.push({ id: 'spare', baseURL: 'http://127.0.0.1:9/v1', apiKey: null });
		const health = new ModelHealth(catalog, { intervalMs: 0 });
		const registry = new ModelRegistry(catalog, health);
		expect(registry.forNewConversation('main').id).toBe('main');
		await health.probeAll();
		await health.probeAll();
		expect(health.status('main')).toBe('down');
		// Both are down: no point in switching.
		expect(registry.forNewConversation('main').id).toBe('main');
		expect(registry.list().find((m) => m.id === 'main')).toMatchObject({ health: 'down', fallback: 'spare' });

		const fake = await startFakeOpenAI();
		cleanups.push(() => fake.close());
		const mixed = catalogFor('http://127.0.0.1:9/v1');
		mixed.providers.push({ id: 'up', baseURL: fake.url, apiKey: null });
		mixed.models[1] = { ...mixed.models[1], provider: 'up' };
		const h2 = new ModelHealth(mixed, { intervalMs: 0 });
		const r2 = new ModelRegistry(mixed, h2);
		await h2.probeAll();
		await h2.probeAll();
		expect(r2.forNewConversation('main').id).toBe('spare');
		expect(r2.forNewConversation(null).id).toBe('spare');
	});
});
