/** Which paths need what: the one place that decides, used by the request hook. */

export type PathKind = 'public' | 'waitlist' | 'user' | 'admin';

const PUBLIC_PREFIXES = ['/auth/', '/healthz', '/_app/', '/favicon'];
/** Pages a signed-in person still on the waitlist may see. */
const WAITLIST_PATHS = ['/waitlist', '/account', '/api/account/activate', '/api/sessions'];

export function classifyPath(pathname: string): PathKind {
	if (PUBLIC_PREFIXES.some((p) => pathname === p.replace(/\/$/, '') || pathname.startsWith(p))) return 'public';
	if (pathname === '/admin' || pathname.startsWith('/admin/') || pathname.startsWith('/api/admin/')) return 'admin';
	if (WAITLIST_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return 'waitlist';
	return 'user';
}

export function isApi(pathname: string): boolean {
	return pathname.startsWith('/api/');
}

/** Only a local path may be a destination after sign-in (no open redirect). */
export function safeReturnTo(value: string | null | undefined): string {
	if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.startsWith('/auth/')) return '/';
	return value.slice(0, 500);
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF: a state-changing request coming from a browser must come from our own origin.
 * Browsers send Origin on every such request (and Sec-Fetch-Site); other clients send neither.
 * Hosts are compared, not schemes: without ORIGIN set, adapter-node cannot know whether a proxy
 * terminated TLS in front of it.
 */
export function isCrossSiteWrite(request: Request, ownOrigin: string): boolean {
	if (!UNSAFE_METHODS.has(request.method)) return false;
	const origin = request.headers.get('origin');
	if (origin && hostOf(origin) !== hostOf(ownOrigin)) return true;
	const site = request.headers.get('sec-fetch-site');
	return site !== null && site !== 'same-origin' && site !== 'none';
}

function hostOf(origin: string): string | null {
	try {
		return new URL(origin).host;
	} catch {
		return null;
	}
}
