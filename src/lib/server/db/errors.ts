/** PostgreSQL's unique_violation, from either driver (Drizzle wraps the driver's error in `cause`). */
export function isUniqueViolation(err: unknown): boolean {
	for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
		if (e.code === '23505') return true;
	}
	return false;
}
