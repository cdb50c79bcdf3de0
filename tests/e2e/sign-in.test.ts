import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { scriptedAnswer } from '../fixtures/scripted-answers';
import { startOidcApp } from '../helpers/oidc-app';
import { launchBrowser, SCREENSHOTS } from '../helpers/browser';

let fake: FakeOpenAI;
let env: Awaited<ReturnType<typeof startOidcApp>>;
let browser: Browser;

beforeAll(async () => {
	fake = await startFakeOpenAI({ apiKey: 'test-key' });
	fake.respond(scriptedAnswer);
	env = await startOidcApp({ modelBaseURL: fake.url, db: 'pglite' });
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
	await env?.stop();
	await fake?.close();
});

async function signInAs(page: Page, login: string) {
	await page.goto(env.app.url + '/');
	// Not signed in: the app sends the browser to the provider's login form.
	await page.waitForURL((u) => u.href.startsWith(env.provider.issuer));
	await page.locator('input[name="login"]').fill(login);
	await page.getByRole('button', { name: 'Se connecter' }).click();
	await page.waitForURL((u) => u.href.startsWith(env.app.url));
}

describe('signing in through the SSO in Chromium', () => {
	it('signs in, chats, and signs out (here and at the provider)', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await signInAs(page, 'bob');
		expect(new URL(page.url()).pathname).toBe('/');
		await page.getByRole('link', { name: 'Mon compte' }).waitFor();
		await page.locator('#composer').fill('Bonjour après connexion');
		await page.locator('#composer').press('Enter');
		await page.waitForURL(/\/c\//);
		await page.locator('[data-testid="send"]').waitFor();
		await expect.poll(() => page.locator('article[data-role="assistant"]').last().innerText()).toContain('Bonjour après connexion');
		await page.screenshot({ path: `${SCREENSHOTS}/10-signed-in-chat.png` });

		await page.getByRole('link', { name: 'Mon compte' }).click();
		await page.locator('[data-testid="sessions"] li').first().waitFor();
		expect(await page.locator('[data-testid="sessions"]').textContent()).toContain('Cette session');
		await page.screenshot({ path: `${SCREENSHOTS}/11-account.png` });

		await page.locator('[data-testid="sign-out"]').click();
		await page.waitForURL(`${env.app.url}/auth/signed-out`);
		await page.getByRole('heading', { name: 'Vous êtes déconnecté' }).waitFor();
		await page.screenshot({ path: `${SCREENSHOTS}/15-signed-out.png` });
		// Signed out at the provider too: signing in again asks for the login.
		await page.locator('[data-testid="signed-out"]').getByRole('link', { name: 'Se connecter' }).click();
		await page.waitForURL((u) => u.href.startsWith(env.provider.issuer));
		expect(await page.locator('input[name="login"]').count()).toBe(1);
		await context.close();
	});

	it('shows a refused person the waitlist page, accessible, where a code opens access', async () => {
		const admin = await browser.newContext();
		const adminPage = await admin.newPage();
		await signInAs(adminPage, 'alice');
		await adminPage.goto(env.app.url + '/admin');
		await adminPage.locator('#code-label').fill('Pilote Chromium');
		await adminPage.getByRole('button', { name: 'Créer un code' }).click();
		const created = await adminPage.locator('[data-testid="created-code"]').innerText();
		const code = created.match(/[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}/)![0];
		await adminPage.screenshot({ path: `${SCREENSHOTS}/12-admin.png`, fullPage: true });

		const context = await browser.newContext();
		const page = await context.newPage();
		await signInAs(page, 'carol');
		await page.waitForURL(/\/waitlist$/);
		await page.getByRole('heading', { name: 'Le service n’est pas encore ouvert pour vous' }).waitFor();
		const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
		expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
		await page.screenshot({ path: `${SCREENSHOTS}/13-waitlist.png` });

		await page.locator('#activation-code').fill('ZZZZ-ZZZZ-ZZZZ');
		await page.getByRole('button', { name: 'Activer' }).click();
		await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
		await page.locator('#activation-code').fill(code);
		await page.getByRole('button', { name: 'Activer' }).click();
		await page.waitForURL(env.app.url + '/');
		await page.locator('#composer').waitFor();

		// The admin page now lists carol with open access; the admin page is accessible too.
		await adminPage.reload();
		await adminPage.locator('#user-search').fill('carol');
		await expect.poll(() => adminPage.locator('[data-testid="users"]').innerText()).toContain('Accès ouvert');
		const adminAxe = await new AxeBuilder({ page: adminPage }).withTags(['wcag2a', 'wcag2aa']).analyze();
		expect(adminAxe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
		await admin.close();
		await context.close();
	});

	it('shows a clear page when sign-in is refused', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await signInAs(page, 'dave');
		await page.waitForURL(/\/auth\/error\?code=missing_email/);
		expect(await page.locator('[data-testid="auth-error"]').innerText()).toContain('adresse électronique');
		await page.screenshot({ path: `${SCREENSHOTS}/14-auth-error.png` });
		await context.close();
	});
});
