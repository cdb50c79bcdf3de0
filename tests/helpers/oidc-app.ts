import { startOidcProvider, type TestAccount } from '../fixtures/oidc-provider';
import { freePort, startAppServer, type AppServerOptions } from './app-server';
import { Browser } from './http-browser';

export const CLIENT = { client_id: 'assistant-ia', client_secret: 'test-client-secret' };

/** The people of the test provider: ProConnect-like claims, one without an email. */
export const ACCOUNTS: TestAccount[] = [
	{ sub: 'alice', email: 'alice@interieur.gouv.fr', given_name: 'Alice', usual_name: 'Martin', siret: '11000201100044' },
	{ sub: 'bob', email: 'bob@interieur.gouv.fr', given_name: 'Bob', family_name: 'Durand' },
	{ sub: 'carol', email: 'carol@example.org', given_name: 'Carol', family_name: 'Petit' },
	{ sub: 'dave', given_name: 'Dave', family_name: 'Sans-Courriel' },
	{ sub: 'erin', email: 'erin@example.org', given_name: 'Erin', family_name: 'Roux', roles: ['assistant-users'] },
	{ sub: 'frank', email: 'frank@example.org', given_name: 'Frank', family_name: 'Leroy' },
	{ sub: 'grace', email: 'grace@example.org', given_name: 'Grace', family_name: 'Moreau' }
];

/** A real OpenID provider and the production app signing in through it. */
export async function startOidcApp(opts: AppServerOptions & { env?: Record<string, string> } = {}) {
	const port = await freePort();
	const origin = `http://127.0.0.1:${port}`;
	const provider = await startOidcProvider({
		clients: [{ ...CLIENT, redirect_uris: [`${origin}/auth/callback`], post_logout_redirect_uris: [`${origin}/auth/signed-out`] }],
		accounts: ACCOUNTS
	});
	const app = await startAppServer({
		...opts,
		port,
		env: {
			OIDC_ISSUER: provider.issuer,
			OIDC_CLIENT_ID: CLIENT.client_id,
			OIDC_CLIENT_SECRET: CLIENT.client_secret,
			OIDC_SCOPES: 'openid email profile given_name usual_name siret roles',
			ORIGIN: origin,
			ACCESS_POLICY: 'restricted',
			ACCESS_ALLOWED_DOMAINS: 'interieur.gouv.fr',
			ADMIN_EMAILS: 'alice@interieur.gouv.fr',
			...opts.env
		}
	});
	/** Signs a person in through the provider's login form; returns their cookie-keeping browser. */
	async function signIn(login: string, returnTo = '/', browser = new Browser()): Promise<{ browser: Browser; landedOn: string; html: string }> {
		let step = await browser.navigate(`${app.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
		if (step.kind === 'page' && step.html.includes('name="login"')) step = await browser.submit(step, { login });
		if (step.kind !== 'page') throw new Error(`sign-in stopped at ${step.url}`);
		return { browser, landedOn: step.url.replace(app.url, ''), html: step.html };
	}
	return {
		app,
		provider,
		origin,
		signIn,
		async stop() {
			await app.stop();
			await provider.close();
		}
	};
}
