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
}

export const notFound = (what = 'Conversation') => new UserError(404, `${what} not found`, 'not_found');
