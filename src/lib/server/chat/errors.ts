import { APICallError, RetryError } from 'ai';
import { StreamCutError } from '../models/chat-stream';

/** Turns whatever the model layer threw into a sentence the user can read. */
export function describeModelError(err: unknown): string {
	const cause = RetryError.isInstance(err) ? err.lastError : err;
	if (APICallError.isInstance(cause)) {
		// The SDK reports a stream that broke after a 200 as an APICallError carrying that 200.
		if (cause.statusCode !== undefined && cause.statusCode < 400) return 'The connection to the model was cut while it was answering.';
		if (cause.statusCode === 429) return 'The model is overloaded (429 Too Many Requests). Try again in a moment.';
		if (cause.statusCode === 401 || cause.statusCode === 403)
			return `The model endpoint refused our credentials (${cause.statusCode}). The operator must check the API key.`;
		if (cause.statusCode && cause.statusCode >= 500)
			return `The model server failed (${cause.statusCode}). Try again in a moment.`;
		if (cause.statusCode) return `The model endpoint rejected the request (${cause.statusCode}): ${truncate(cause.message)}`;
		return `The model server cannot be reached: ${truncate(cause.message)}`;
	}
	if (cause instanceof StreamCutError) return 'The connection to the model was cut while it was answering.';
	if (cause instanceof Error) return `The model stream failed: ${truncate(cause.message)}`;
	return 'The model stream failed.';
}

function truncate(s: string, max = 200): string {
	return s.length > max ? s.slice(0, max) + '…' : s;
}
