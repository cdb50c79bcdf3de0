import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

const integration = (db: 'pglite' | 'postgres') => ({
	extends: true as const,
	test: {
		name: `integration-${db}`,
		include: ['tests/integration/**/*.test.ts'],
		env: { TEST_DB: db },
		testTimeout: 30_000,
		hookTimeout: 60_000
	}
});

export default defineConfig({
	plugins: [sveltekit()],
	server: { host: '127.0.0.1' },
	preview: { host: '127.0.0.1' },
	test: {
		projects: [
			{ extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], testTimeout: 10_000 } },
			integration('pglite'),
			integration('postgres'),
			{
				extends: true,
				test: {
					name: 'e2e',
					include: ['tests/e2e/**/*.test.ts'],
					testTimeout: 60_000,
					hookTimeout: 120_000,
					fileParallelism: false
				}
			}
		]
	}
});
