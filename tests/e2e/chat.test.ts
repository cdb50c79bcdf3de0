import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import { startFakeOpenAI, type FakeOpenAI } from '../fixtures/fake-openai';
import { scriptedAnswer, isTitleRequest } from '../fixtures/scripted-answers';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { launchBrowser, SCREENSHOTS } from '../helpers/browser';

let fake: FakeOpenAI;
let app: AppServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
	fake = await startFakeOpenAI({ apiKey: 'test-key' });
	fake.respond(scriptedAnswer);
	app = await startAppServer({ modelBaseURL: fake.url, db: 'pglite' });
	browser = await launchBrowser();
});

afterAll(async () => {
	await browser?.close();
	await app?.stop();
	await fake?.close();
});

beforeEach(async () => {
	await context?.close();
	context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'fr-FR' });
	await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
	page = await context.newPage();
	page.on('pageerror', (e) => pageErrors.push(e.message));
});

const composer = () => page.locator('#composer');
const answers = () => page.locator('article[data-role="assistant"]');
const lastAnswer = () => answers().last();

async function ask(text: string) {
	await composer().fill(text);
	await composer().press('Enter');
}

async function waitIdle() {
	await page.locator('[data-testid="send"]').waitFor();
}

async function newChat(question: string) {
	await page.goto(app.url + '/');
	await ask(question);
	await page.waitForURL(/\/c\/[0-9a-f-]{36}$/);
	await waitIdle();
}

describe('chatting in the browser', () => {
	it('streams a markdown answer token by token, with code, tables and math', async () => {
		await page.goto(app.url + '/');
		await page.screenshot({ path: `${SCREENSHOTS}/01-home.png` });
		await ask('Explique la TVA en markdown');
		await page.waitForURL(/\/c\//);
		// While streaming, only part of the answer is there.
		await lastAnswer().locator('.markdown h2').waitFor();
		const partial = await lastAnswer().innerText();
		await waitIdle();
		const full = await lastAnswer().innerText();
		expect(full.length).toBeGreaterThan(partial.length);
		await expect.poll(() => lastAnswer().locator('.markdown h2').innerText()).toBe('Calcul de la TVA');
		expect(await lastAnswer().locator('table td').first().innerText()).toBe('Livre');
		expect(await lastAnswer().locator('pre code.hljs .hljs-keyword').first().innerText()).toBe('def');
		expect(await lastAnswer().locator('.katex').count()).toBeGreaterThanOrEqual(2);
		expect(await lastAnswer().locator('a[href="https://www.impots.gouv.fr"]').getAttribute('rel')).toContain('noopener');
		await page.screenshot({ path: `${SCREENSHOTS}/02-markdown-answer.png`, fullPage: true });

		// The copy buttons put the code and the whole answer on the clipboard.
		await lastAnswer().locator('button.code-copy').click();
		expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('def ttc(ht, taux=0.2):');
		await lastAnswer().locator('[data-testid="copy-answer"]').click();
		expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('## Calcul de la TVA');

		// The side panel shows the conversation under "Today" with the model's title.
		await expect.poll(() => page.locator('nav .item.active .title').innerText()).toBe('Sujet : Explique la TVA en');
		expect(await page.locator('nav h2.group').first().innerText()).toMatch(/aujourd/i);
	});

	it('sends with Enter, adds a line with Shift+Enter, and keeps everything across a reload', async () => {
		await page.goto(app.url + '/');
		await composer().focus();
		await page.keyboard.type('Première ligne');
		await page.keyboard.press('Shift+Enter');
		await page.keyboard.type('deuxième ligne');
		expect(await composer().inputValue()).toBe('Première ligne\ndeuxième ligne');
		await page.keyboard.press('Enter');
		await page.waitForURL(/\/c\//);
		await waitIdle();
		await expect.poll(() => lastAnswer().innerText()).toContain('Première ligne\ndeuxième ligne');
		const url = page.url();
		await page.reload();
		expect(page.url()).toBe(url);
		expect(await page.locator('article[data-role="user"] .bubble').innerText()).toBe('Première ligne\ndeuxième ligne');
		expect(await lastAnswer().innerText()).toContain('Réponse (small) à : Première ligne');
	});

	it('stops a generation, keeps its text, and regenerates the answer', async () => {
		await page.goto(app.url + '/');
		await ask('Réponds lentement');
		await page.waitForURL(/\/c\//);
		await expect.poll(async () => (await lastAnswer().innerText()).length, { timeout: 10_000 }).toBeGreaterThan(20);
		await page.locator('[data-testid="stop"]').click();
		await lastAnswer().locator('[data-testid="status-stopped"]').waitFor();
		const kept = (await lastAnswer().locator('.markdown').innerText()).trim();
		expect(kept).toMatch(/^mot0 mot1/);
		expect(kept).not.toContain('mot399');
		await page.screenshot({ path: `${SCREENSHOTS}/03-stopped.png` });
		await page.reload();
		expect((await lastAnswer().locator('.markdown').innerText()).trim()).toBe(kept);
		expect(await lastAnswer().locator('[data-testid="status-stopped"]').count()).toBe(1);

		// Regenerate: the stopped answer is replaced by a new one.
		fake.respond((req) => (isTitleRequest(req) ? scriptedAnswer(req) : { text: 'Réponse régénérée.' }));
		try {
			await lastAnswer().locator('[data-testid="regenerate"]').click();
			await expect.poll(() => lastAnswer().locator('.markdown').innerText()).toBe('Réponse régénérée.');
			await waitIdle();
			expect(await answers().count()).toBe(1);
			await page.reload();
			expect(await lastAnswer().locator('.markdown').innerText()).toBe('Réponse régénérée.');
		} finally {
			fake.respond(scriptedAnswer);
		}
	});

	it('edits an earlier question: the answers after it are replaced', async () => {
		await newChat('Question un');
		await ask('Question deux');
		await waitIdle();
		await expect.poll(() => answers().count()).toBe(2);
		await page.locator('article[data-role="user"]').first().hover();
		await page.locator('article[data-role="user"]').first().locator('[data-testid="edit"]').click();
		const editor = page.locator('article[data-role="user"] textarea');
		await editor.fill('Question un corrigée');
		await editor.press('Tab');
		await page.getByRole('button', { name: 'Envoyer la modification' }).click();
		await expect.poll(() => lastAnswer().innerText()).toContain('Question un corrigée');
		await waitIdle();
		expect(await answers().count()).toBe(1);
		expect(await page.locator('article[data-role="user"]').count()).toBe(1);
		await page.reload();
		expect(await page.locator('article[data-role="user"] .bubble').innerText()).toBe('Question un corrigée');
		expect(await answers().count()).toBe(1);
	});

	it('shows a model failure as an error on the answer, and keeps the question', async () => {
		await newChat('Provoque une panne');
		await lastAnswer().locator('[data-testid="status-error"]').waitFor();
		expect(await lastAnswer().innerText()).toMatch(/Le serveur du modèle a rencontré une erreur/);
		expect(await lastAnswer().locator('[data-testid="status-error"] small').getAttribute('title')).toMatch(/500/);
		await page.reload();
		expect(await page.locator('article[data-role="user"] .bubble').innerText()).toBe('Provoque une panne');
		expect(await lastAnswer().locator('[data-testid="status-error"]').count()).toBe(1);
	});

	it('picks the model per conversation and remembers it', async () => {
		await page.goto(app.url + '/');
		await page.locator('#model-picker').selectOption('fake-large');
		await ask('Quel modèle ?');
		await page.waitForURL(/\/c\//);
		await waitIdle();
		await expect.poll(() => lastAnswer().innerText()).toContain('Réponse (large)');
		await page.reload();
		expect(await page.locator('#model-picker').inputValue()).toBe('fake-large');
		await page.locator('#model-picker').selectOption('fake-small');
		await page.waitForTimeout(200);
		await ask('Et maintenant ?');
		await waitIdle();
		await expect.poll(() => lastAnswer().innerText()).toContain('Réponse (small)');
		await page.reload();
		expect(await page.locator('#model-picker').inputValue()).toBe('fake-small');
	});

	it('renames, searches (accents and plurals folded) and deletes conversations from the side panel', async () => {
		await newChat('Les préfectures délivrent les titres de séjour');
		const id = page.url().split('/').pop();
		const item = page.locator('nav .item.active');
		await item.getByRole('button', { name: /Renommer/ }).click();
		await page.locator('nav .rename input').fill('Titres de séjour');
		await page.locator('nav .rename input').press('Enter');
		await expect.poll(() => page.locator('nav .item.active .title').innerText()).toBe('Titres de séjour');
		await page.reload();
		expect(await page.locator('nav .item.active .title').innerText()).toBe('Titres de séjour');

		await page.locator('#conversation-search').fill('prefecture');
		await page.locator('[data-testid="search-results"]').waitFor();
		const hits = page.locator('[data-testid="search-results"] a');
		expect(await hits.evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toContain(`/c/${id}`);
		expect(await page.locator('[data-testid="search-results"] .snippet').first().innerText()).toContain('«');
		await page.screenshot({ path: `${SCREENSHOTS}/04-search.png` });
		await page.locator('#conversation-search').fill('zzzintrouvable');
		await page.getByText('Aucune conversation ne correspond').waitFor();
		await page.locator('#conversation-search').fill('');

		await page.locator('nav .item.active').getByRole('button', { name: /Supprimer/ }).click();
		await page.getByRole('dialog').waitFor();
		await page.screenshot({ path: `${SCREENSHOTS}/05-delete-confirm.png` });
		await page.getByRole('dialog').getByRole('button', { name: 'Annuler' }).click();
		expect(await page.locator(`nav a[href="/c/${id}"]`).count()).toBe(1);
		await page.locator('nav .item.active').getByRole('button', { name: /Supprimer/ }).click();
		await page.locator('[data-testid="confirm"]').click();
		await page.waitForURL(app.url + '/');
		expect(await page.locator(`nav a[href="/c/${id}"]`).count()).toBe(0);
		const gone = await page.goto(`${app.url}/c/${id}`);
		expect(gone?.status()).toBe(404);
	});

	it('continues a live answer after a reload in the middle of it', async () => {
		await page.goto(app.url + '/');
		await ask('Réponds lentement encore');
		await page.waitForURL(/\/c\//);
		await expect.poll(async () => (await lastAnswer().innerText()).length, { timeout: 10_000 }).toBeGreaterThan(30);
		await page.reload();
		await expect.poll(async () => (await lastAnswer().locator('.markdown').innerText()).length, { timeout: 10_000 }).toBeGreaterThan(60);
		const a = await lastAnswer().locator('.markdown').innerText();
		expect(a.trim()).toMatch(/^mot0 mot1 mot2/);
		// The text is not duplicated by the resume.
		expect(a.match(/\bmot0\b/g)).toHaveLength(1);
		await page.locator('[data-testid="stop"]').click();
		await lastAnswer().locator('[data-testid="status-stopped"]').waitFor();
	});

	it('shows an interrupted answer with Continue, which finishes it in place', async () => {
		await newChat('Simule une coupure');
		await lastAnswer().locator('[data-testid="status-interrupted"]').waitFor();
		const partial = (await lastAnswer().locator('.markdown').innerText()).trim();
		expect(partial.length).toBeGreaterThan(0);
		await page.screenshot({ path: `${SCREENSHOTS}/16-interrupted.png` });
		await lastAnswer().locator('[data-testid="continue"]').click();
		await expect.poll(() => lastAnswer().locator('.markdown').innerText()).toContain('et voici la fin.');
		await waitIdle();
		expect((await lastAnswer().locator('.markdown').innerText()).trim()).toBe(`${partial} et voici la fin.`);
		expect(await answers().count()).toBe(1);
		expect(await lastAnswer().locator('[data-testid="status-interrupted"]').count()).toBe(0);
		await page.reload();
		expect((await lastAnswer().locator('.markdown').innerText()).trim()).toBe(`${partial} et voici la fin.`);
	});

	it('resumes a live answer when the network comes back', async () => {
		await page.goto(app.url + '/');
		await ask('Réponds lentement hors ligne');
		await page.waitForURL(/\/c\//);
		await expect.poll(async () => (await lastAnswer().innerText()).length, { timeout: 10_000 }).toBeGreaterThan(20);
		await context.setOffline(true);
		await page.waitForTimeout(1500);
		await context.setOffline(false);
		// The answer goes on from where the server is, without duplicating what was shown.
		await expect.poll(async () => (await lastAnswer().locator('.markdown').innerText()).length, { timeout: 15_000 }).toBeGreaterThan(200);
		const text = await lastAnswer().locator('.markdown').innerText();
		expect(text.match(/\bmot0\b/g)).toHaveLength(1);
		expect(text.match(/\bmot5\b/g)).toHaveLength(1);
		await page.locator('[data-testid="stop"]').click();
		await lastAnswer().locator('[data-testid="status-stopped"]').waitFor();
	});

	it('speaks English when asked and remembers it', async () => {
		await page.goto(app.url + '/');
		expect(await page.locator('html').getAttribute('lang')).toBe('fr');
		await page.locator('[data-testid="switch-language"]').click();
		await page.getByRole('link', { name: 'New conversation' }).waitFor();
		expect(await composer().getAttribute('placeholder')).toMatch(/Ask a question/);
		await page.reload();
		expect(await page.locator('html').getAttribute('lang')).toBe('en');
		expect(await page.locator('[data-testid="send"]').innerText()).toBe('Send');
		await page.screenshot({ path: `${SCREENSHOTS}/06-english.png` });
		await page.locator('[data-testid="switch-language"]').click();
		await page.getByRole('link', { name: 'Nouvelle conversation' }).waitFor();
	});

	it('works on a phone-sized screen', async () => {
		await page.setViewportSize({ width: 390, height: 780 });
		await page.goto(app.url + '/');
		expect(await page.locator('#sidebar').isVisible()).toBe(false);
		await ask('Bonjour depuis un téléphone');
		await page.waitForURL(/\/c\//);
		await waitIdle();
		await page.screenshot({ path: `${SCREENSHOTS}/07-phone-chat.png` });
		await page.locator('.menu-toggle').click();
		expect(await page.locator('#sidebar').isVisible()).toBe(true);
		await page.screenshot({ path: `${SCREENSHOTS}/08-phone-menu.png` });
		const width = await page.evaluate(() => document.documentElement.scrollWidth);
		expect(width).toBeLessThanOrEqual(390);
	});

	it('can be used with the keyboard alone', async () => {
		await page.goto(app.url + '/');
		await page.keyboard.press('Tab');
		expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Aller au contenu');
		await page.keyboard.press('Tab');
		await page.keyboard.press('Enter');
		expect(await page.evaluate(() => document.activeElement?.id)).toBe('composer');
		await page.keyboard.type('Question au clavier');
		await page.keyboard.press('Enter');
		await page.waitForURL(/\/c\//);
		await waitIdle();
		await expect.poll(() => lastAnswer().innerText()).toContain('Question au clavier');
	});
});

describe('untrusted model output', () => {
	it('renders script, onerror, javascript: links and remote images inert; nothing leaves for the remote host', async () => {
		const remote: string[] = [];
		page.on('request', (r) => {
			if (!r.url().startsWith(app.url)) remote.push(r.url());
		});
		let dialogs = 0;
		page.on('dialog', (d) => {
			dialogs++;
			void d.dismiss();
		});
		await newChat('Montre une attaque xss');
		await expect.poll(() => lastAnswer().innerText()).toContain('Fin.');
		const html = await lastAnswer().locator('.markdown').innerHTML();
		expect(html).not.toMatch(/<script/i);
		// Raw HTML is shown as text; no element carries an event handler or a javascript: URL.
		const handlers = await lastAnswer().evaluate((el) =>
			[...el.querySelectorAll('*')].flatMap((n) =>
				[...n.attributes].filter((a) => /^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)).map((a) => `${n.tagName} ${a.name}`)
			)
		);
		expect(handlers).toEqual([]);
		expect(await lastAnswer().locator('a[href^="javascript"]').count()).toBe(0);
		expect(html).not.toMatch(/<img[^>]+evil\.example/i);
		expect(await lastAnswer().locator('img').count()).toBe(0);
		// Clicking what looks like a link runs nothing.
		await lastAnswer().getByText('clique ici').click().catch(() => {});
		await page.reload();
		await lastAnswer().getByText('Fin.').waitFor();
		expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
		expect(dialogs).toBe(0);
		expect(remote).toEqual([]);
		await page.screenshot({ path: `${SCREENSHOTS}/09-xss.png` });
	});

	it('the CSP blocks an injected inline script and remote image even if one got through', async () => {
		await page.goto(app.url + '/');
		const blocked = await page.evaluate(async () => {
			const violations: string[] = [];
			document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
			const s = document.createElement('script');
			s.textContent = 'window.__inline = 1';
			document.body.append(s);
			const img = document.createElement('img');
			img.src = 'http://evil.example/pixel.png';
			document.body.append(img);
			await new Promise((r) => setTimeout(r, 300));
			return { ran: (window as unknown as { __inline?: number }).__inline === 1, violations };
		});
		expect(blocked.ran).toBe(false);
		expect(blocked.violations).toEqual(expect.arrayContaining(['script-src-elem', 'img-src']));
	});
});

describe('accessibility', () => {
	it('has no serious or critical axe violation on the main pages', async () => {
		const check = async (name: string) => {
			const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
			const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
			expect(bad.map((v) => `${name}: ${v.id} – ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`)).toEqual([]);
		};
		await page.goto(app.url + '/');
		await check('home');
		await newChat('Explique la TVA en markdown');
		await check('conversation');
		await page.locator('nav .item.active').getByRole('button', { name: /Supprimer/ }).click();
		await page.getByRole('dialog').waitFor();
		await check('delete dialog');
	});

	it('raised no JavaScript error in any page', () => {
		expect(pageErrors).toEqual([]);
	});
});
