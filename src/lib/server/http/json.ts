import { json, type RequestEvent, type RequestHandler } from '@sveltejs/kit';
import type { z } from 'zod';
import { UserError } from './errors';

/** Reads a JSON body no larger than maxBytes and validates it; every failure is a clear 4xx. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S, maxBytes: number): Promise<z.infer<S>> {
	const type = request.headers.get('content-type') ?? '';
	if (!type.includes('application/json')) {
		throw new UserError(415, 'Send the request body as JSON (Content-Type: application/json).', 'unsupported_media_type');
	}
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > maxBytes) throw tooLarge(maxBytes);
	let text: string;
	try {
		text = await request.text();
	} catch {
		throw tooLarge(maxBytes);
	}
	if (Buffer.byteLength(text) > maxBytes) throw tooLarge(maxBytes);
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch {
		throw new UserError(400, 'The request body is not valid JSON.', 'invalid_json');
	}
	const parsed = schema.safeParse(data);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
		const status = issue.code === 'too_big' ? 413 : 400;
		throw new UserError(status, `${where}${issue.message}`, 'invalid_request');
	}
	return parsed.data;
}

function tooLarge(maxBytes: number): UserError {
	return new UserError(413, `The request body is too large (limit ${Math.round(maxBytes / 1024)} KiB).`, 'body_too_large');
}

export function errorResponse(err: UserError): Response {
	const headers: Record<string, string> = err.retryAfterSeconds ? { 'retry-after': String(err.retryAfterSeconds) } : {};
	return json({ error: { code: err.code, message: err.message, retryAfter: err.retryAfterSeconds ?? undefined } }, { status: err.status, headers });
}

/** Wraps an API handler so that a UserError becomes its JSON 4xx answer. */
export function api<E extends RequestEvent>(handler: (event: E) => Promise<Response>): (event: E) => Promise<Response> {
	return async (event) => {
		try {
			return await handler(event);
		} catch (err) {
			if (err instanceof UserError) return errorResponse(err);
			throw err;
		}
	};
}

export type { RequestHandler };
