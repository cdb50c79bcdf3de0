/**
 * The server saves why an answer ended as an English sentence (for logs and the API); the page
 * shows it in the reader's language. Each pattern matches one sentence of chat/errors.ts or
 * chat/generation.ts.
 */
const PATTERNS = [
	['cut', /^The connection to the model was cut/],
	['overloaded', /^The model is overloaded/],
	['credentials', /^The model endpoint refused our credentials/],
	['serverFailed', /^The model server failed/],
	['rejected', /^The model endpoint rejected the request/],
	['unreachable', /^The model server cannot be reached/],
	['stall', /^The model sent nothing for/],
	['restart', /^The server (restarted|stopped) while/],
	['internal', /^An internal error stopped/]
] as const;

export type ReasonKey = (typeof PATTERNS)[number][0];

export function reasonKey(reason: string | null | undefined): ReasonKey | null {
	if (!reason) return null;
	return PATTERNS.find(([, re]) => re.test(reason))?.[0] ?? null;
}
