/** Browser-side JSON calls to the app's API; a 4xx becomes an Error carrying the server's message. */
export async function apiFetch<T = unknown>(url: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
	const { json, ...rest } = init;
	const res = await fetch(url, {
		...rest,
		headers: { ...(json !== undefined ? { 'content-type': 'application/json' } : {}), ...rest.headers },
		body: json !== undefined ? JSON.stringify(json) : rest.body
	});
	if (!res.ok) {
		let message = `${res.status} ${res.statusText}`;
		try {
			const body = await res.json();
			message = body?.error?.message ?? body?.message ?? message;
		} catch {
			/* not JSON */
		}
		throw new Error(message);
	}
	return (res.status === 204 ? undefined : await res.json()) as T;
}
