/** An error whose message can be shown to the person who caused it, with its HTTP status. */
export class UserError extends Error {
	constructor(
		public readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503,
		message: string,
		public readonly code: string = 'bad_request'
	) {
		super(message);
		this.name = 'UserError';
	}

	/** Seconds after which the request may succeed (sent as Retry-After). */
	retryAfterSeconds: number | null = null;

	withRetryAfter(seconds: number): this {
		this.retryAfterSeconds = seconds;
		return this;
	}
}

export const notFound = (what = 'Conversation') => new UserError(404, `${what} not found`, 'not_found');

/** The signed-in person of a request; the request hook already refused anonymous ones. */
export function userOf(locals: App.Locals): NonNullable<App.Locals['user']> {
	if (!locals.user) throw new UserError(401, 'Sign in first.', 'unauthenticated');
	return locals.user;
}
