/**
 * A tiny browser for HTTP tests: a cookie jar, redirects followed by hand, HTML forms submitted
 * with their hidden inputs. Used to sign in through the real OpenID provider without Chromium.
 */

export type Step = { kind: 'app'; url: string } | { kind: 'page'; url: string; html: string };

export class Browser {
	private cookies = new Map<string, string>();

	/** Redirects to URLs starting with this are returned instead of followed (null: follow all). */
	constructor(private readonly stopAt: string | null = null) {}

	cookie(name: string): string | undefined {
		return this.cookies.get(name);
	}

	async fetch(url: string, init: RequestInit = {}): Promise<Response> {
		const headers = new Headers(init.headers);
		if (this.cookies.size > 0) {
			headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
		}
		const response = await fetch(url, { ...init, headers, redirect: 'manual' });
		for (const setCookie of response.headers.getSetCookie()) {
			const [pair, ...attributes] = setCookie.split(';');
			const name = pair.slice(0, pair.indexOf('=')).trim();
			const value = pair.slice(pair.indexOf('=') + 1).trim();
			const expired = attributes.some((attribute) => {
				const [key, val = ''] = attribute.trim().split('=');
				return (
					(key.toLowerCase() === 'max-age' && Number(val) <= 0) ||
					(key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now())
				);
			});
			if (expired || value === '') this.cookies.delete(name);
			else this.cookies.set(name, value);
		}
		return response;
	}

	/** Follows redirects until a page is shown or the provider sends the browser back to the app. */
	async navigate(url: string, init?: RequestInit): Promise<Step> {
		for (let hops = 0; hops < 20; hops++) {
			const response = await this.fetch(url, init);
			const location = response.headers.get('location');
			if (response.status < 300 || response.status >= 400 || !location) {
				return { kind: 'page', url, html: await response.text() };
			}
			await response.body?.cancel();
			url = new URL(location, url).href;
			init = undefined;
			if (this.stopAt && url.startsWith(this.stopAt)) return { kind: 'app', url };
		}
		throw new Error('too many redirects');
	}

	/** Submits the page's first form with its hidden inputs plus `fields`. */
	async submit(page: Step, fields: Record<string, string> = {}): Promise<Step> {
		if (page.kind !== 'page') throw new Error(`expected a page, got a redirect to ${page.url}`);
		const form = page.html.match(/<form\b[^>]*>[\s\S]*?<\/form>/)?.[0];
		if (!form) throw new Error(`no form in page ${page.url}:\n${page.html}`);
		const body = new URLSearchParams();
		for (const input of form.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
			body.set(attribute(input[0], 'name')!, attribute(input[0], 'value') ?? '');
		}
		for (const [name, value] of Object.entries(fields)) body.set(name, value);
		const action = new URL(attribute(form.match(/<form\b[^>]*>/)![0], 'action') ?? page.url, page.url).href;
		return this.navigate(action, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body
		});
	}
}

function attribute(tag: string, name: string): string | undefined {
	const value = tag.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];
	return value?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#(\d+);/g, (_, c) => String.fromCharCode(c));
}


