import { createHash, randomBytes } from 'node:crypto';

/** A random secret for a cookie or a code, and the hash under which the database keeps it. */
export function newSecret(bytes = 32): string {
	return randomBytes(bytes).toString('base64url');
}

export function hashSecret(secret: string): string {
	return createHash('sha256').update(secret).digest('base64url');
}
