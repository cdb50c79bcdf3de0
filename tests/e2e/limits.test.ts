import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { launchBrowser, SCREENSHOTS } from '../helpers/browser';

let fake: FakeOpenAI;
let app: AppServer;
let browser: Browser;

beforeAll(async () => {
	fake = await startFakeOpenAI({ apiKey: 'test-key' });
	app = await startAppServer({ modelBaseURL: fake.url, db: 'pglite', env: { RATE_LIMIT_REQUESTS_PER_MINUTE: '1', RATE_LIMIT_EXEMPT_ADMINS: 'false' } });
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
	await app?.stop();
	await fake?.close();
});

describe('rate limits in the browser', () => {
	it('says when the person can continue, and gives the refused message back', async () => {
		const left = 60_000 - (Date.now() % 60_000);
		if (left < 10_000) await new Promise((r) => setTimeout(r, left + 100));
		const page = await browser.newPage();
		await page.goto(app.url + '/');
		await page.locator('#composer').fill('Première question');
		await page.locator('#composer').press('Enter');
		await page.waitForURL(/\/c\//);
		await page.locator('[data-testid="send"]').waitFor();
		await page.locator('#composer').fill('Deuxième question, trop tôt');
		await page.locator('#composer').press('Enter');
		const failure = page.locator('[data-testid="failure"]');
		await failure.waitFor();
		expect(await failure.innerText()).toMatch(/nombre maximal de messages par minute\. Vous pourrez continuer dans \d+ s\./);
		expect(await page.locator('#composer').inputValue()).toBe('Deuxième question, trop tôt');
		expect(await page.locator('article[data-role="user"]').count()).toBe(1);
		await page.screenshot({ path: `${SCREENSHOTS}/17-rate-limited.png` });
		await page.close();
	});
});
