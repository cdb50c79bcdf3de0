/**
 * A light streaming HTTP client for the load: node:http + manual SSE framing, no JSON parsing of
 * the chunks (the AI SDK's client costs ~0.5 ms of CPU per chunk, which would make the load
 * generator the bottleneck). The same code reads the app's UI message stream and the upstream's
 * OpenAI chunks, so both sides of the comparison pay the same client costs.
 */
import http from 'node:http';

export interface StreamResult {
	/** performance.now() just before the request body is sent */
	start: number;
	/** response headers received */
	headers: number;
	/** first token (first text-delta / first content delta); NaN when none */
	first: number;
	/** last token */
	last: number;
	/** tokens received */
	count: number;
	/** largest gap between two consecutive token arrivals (ms) */
	maxGap: number;
	/** every inter-token gap (ms) */
	gaps: number[];
	/** the stream ended normally (app: a finish chunk; upstream: [DONE]) */
	finished: boolean;
	status: number;
	error?: string;
}

export type Flavor = 'app' | 'upstream';

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024 });

/** POSTs `body` to `url` and reads the SSE answer to its end (or gives up after `timeoutMs`). */
export function streamRequest(
	url: string,
	body: string,
	flavor: Flavor,
	headers: Record<string, string> = {},
	timeoutMs = 120_000
): Promise<StreamResult> {
	const u = new URL(url);
	return new Promise((resolve) => {
		const r: StreamResult = { start: 0, headers: NaN, first: NaN, last: NaN, count: 0, maxGap: 0, gaps: [], finished: false, status: 0 };
		let buf = '';
		let done = false;
		const finish = (error?: string) => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			if (error) r.error = error;
			resolve(r);
		};
		const timer = setTimeout(() => {
			finish(`timeout after ${timeoutMs} ms (${r.count} tokens, status ${r.status || 'no response'})`);
			req.destroy();
		}, timeoutMs);
		const onEvent = (ev: string, at: number) => {
			if (flavor === 'app') {
				if (ev.startsWith('data: {"type":"text-delta"')) token(at);
				else if (ev.startsWith('data: {"type":"finish"')) r.finished = true;
				else if (ev.startsWith('data: {"type":"error"')) r.error = ev.slice(6, 200);
			} else if (ev.startsWith('data: [DONE]')) {
				r.finished = true;
			} else if (ev.includes('"content":"') && !ev.includes('"content":""')) {
				token(at);
			}
		};
		const token = (at: number) => {
			if (r.count === 0) r.first = at;
			else {
				const gap = at - r.last;
				r.gaps.push(gap);
				if (gap > r.maxGap) r.maxGap = gap;
			}
			r.last = at;
			r.count++;
		};
		const req = http.request(
			{
				agent,
				method: 'POST',
				hostname: u.hostname,
				port: u.port,
				path: u.pathname + u.search,
				headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'text/event-stream', ...headers }
			},
			(res) => {
				r.headers = performance.now();
				r.status = res.statusCode ?? 0;
				res.setEncoding('utf8');
				res.on('data', (chunk: string) => {
					const at = performance.now();
					buf += chunk;
					let i: number;
					while ((i = buf.indexOf('\n\n')) >= 0) {
						onEvent(buf.slice(0, i), at);
						buf = buf.slice(i + 2);
					}
				});
				res.on('end', () => finish(r.status >= 400 ? `HTTP ${r.status}: ${buf.slice(0, 200)}` : undefined));
				res.on('error', (e) => finish(e.message));
			}
		);
		req.on('error', (e) => finish(e.message));
		r.start = performance.now();
		req.end(body);
	});
}

export function ttft(r: StreamResult): number {
	return r.first - r.start;
}

/** Delivered tokens/s between the first and the last token. */
export function rate(r: StreamResult): number {
	return r.count > 1 && r.last > r.first ? ((r.count - 1) * 1000) / (r.last - r.first) : NaN;
}
