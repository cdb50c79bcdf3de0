import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../src/lib/server/config';

function catalogFile(content: unknown): string {
	const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-')), 'models.json');
	fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
	return file;
}

const good = {
	providers: [{ id: 'albert', baseURL: 'https://albert.example/v1', apiKeyEnv: 'ALBERT_API_KEY' }],
	models: [
		{ id: 'albert-large', label: 'Albert Large', provider: 'albert', upstreamModel: 'albert-large', contextWindow: 128000 },
		{ id: 'albert-small', label: 'Albert Small', provider: 'albert', upstreamModel: 'albert-small', default: true }
	]
};

describe('configuration', () => {
	it('has working defaults: loopback, port 3000, ./data, PGlite, no model', () => {
		const c = readConfig({});
		expect(c).toMatchObject({ host: '127.0.0.1', port: 3000, databaseUrl: null, mode: 'local' });
		expect(c.dataDir).toBe(path.resolve('data'));
		expect(c.models).toMatchObject({ models: [], source: 'none', defaultModelId: null });
		expect(c.limits).toEqual({ messageChars: 32000, titleChars: 200, bodyBytes: 512 * 1024 });
		expect(c).toMatchObject({ databasePoolSize: 20, pgliteSharedBuffers: '32MB' });
	});

	it('reads a model file, takes API keys from the named variables and picks the default', () => {
		const c = readConfig({ MODELS_CONFIG: catalogFile(good), ALBERT_API_KEY: 'secret' });
		expect(c.models.source).toBe('file');
		expect(c.models.defaultModelId).toBe('albert-small');
		expect(c.models.providers[0].apiKey).toBe('secret');
		expect(c.models.models[1].contextWindow).toBe(8192);
	});

	it('builds a catalog from OPENAI_* variables alone', () => {
		const c = readConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', OPENAI_MODELS: 'llama3.1:8b, mistral-small', OPENAI_CONTEXT_WINDOW: '32768' });
		expect(c.models.models.map((m) => [m.id, m.upstreamModel, m.contextWindow])).toEqual([
			['llama3.1:8b', 'llama3.1:8b', 32768],
			['mistral-small', 'mistral-small', 32768]
		]);
		expect(c.models.defaultModelId).toBe('llama3.1:8b');
	});

	it.each([
		[{ ...good, providers: [{ id: 'albert', baseURL: 'ftp://x' }] }, /providers\.0\.baseURL/],
		[{ ...good, models: [{ ...good.models[0], provider: 'nope' }] }, /models\.0\.provider: unknown provider "nope"/],
		[{ ...good, models: [good.models[0], good.models[0]] }, /models\.1\.id: duplicate model id/],
		[{ ...good, models: [{ ...good.models[0], contextWindow: 'big' }] }, /models\.0\.contextWindow/],
		[{ providers: good.providers }, /models/],
		['{not json', /cannot be read as JSON/]
	])('refuses an invalid model file with a message naming the field (%#)', (content, message) => {
		expect(() => readConfig({ MODELS_CONFIG: catalogFile(content) })).toThrow(message);
	});

	it('refuses a non-loopback address in local mode, accepts it with sign-in', () => {
		expect(() => readConfig({ HOST: '0.0.0.0' })).toThrow(/HOST=0\.0\.0\.0 is refused/);
		expect(readConfig({ HOST: '127.0.0.2' }).host).toBe('127.0.0.2');
		const oidc = { OIDC_ISSUER: 'https://idp.example', OIDC_CLIENT_ID: 'x', ORIGIN: 'https://a.example' };
		expect(readConfig({ ...oidc, HOST: '0.0.0.0' })).toMatchObject({ host: '0.0.0.0', mode: 'oidc' });
	});

	it('names the bad environment variable', () => {
		expect(() => readConfig({ PORT: 'abc' })).toThrow(/PORT/);
		expect(() => readConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
		expect(() => readConfig({ PGLITE_SHARED_BUFFERS: '32 megs' })).toThrow(/PGLITE_SHARED_BUFFERS: a size such as 32MB/);
		expect(() => readConfig({ DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
		expect(() => readConfig({ OPENAI_BASE_URL: 'http://x/v1' })).toThrow(/OPENAI_MODELS/);
		expect(() => readConfig({ MODELS_CONFIG: '/nonexistent/models.json' })).toThrow(/MODELS_CONFIG/);
	});
});

describe('documented examples', () => {
	it.each(['docs/examples/models.albert.json', 'docs/examples/models.ollama.json'])('%s is a valid model configuration', (file) => {
		const c = readConfig({ MODELS_CONFIG: file });
		expect(c.models.models.length).toBeGreaterThan(0);
		expect(c.models.defaultModelId).not.toBeNull();
	});
});
