import type { ModelCatalog } from './catalog';

export type HealthStatus = 'healthy' | 'degraded' | 'down' | 'unknown';

interface ModelState {
	probe: 'ok' | 'slow' | 'failed' | null;
	consecutiveProbeFailures: number;
	/** Outcomes of the latest real calls, newest last. */
	recent: boolean[];
}

export interface HealthOptions {
	intervalMs: number;
	timeoutMs?: number;
	/** A probe slower than this marks the model degraded. */
	slowMs?: number;
	log?: (m: string) => void;
}

/**
 * Knows which models answer: a background probe of each endpoint (GET /models) plus the outcome
 * of real calls. `down` after two failed probes in a row; `degraded` when the probe is slow or
 * when at least 3 of the last 5 real calls failed.
 */
export class ModelHealth {
	private states = new Map<string, ModelState>();
	private timer: NodeJS.Timeout | null = null;

	constructor(
		private readonly catalog: ModelCatalog,
		private readonly o: HealthOptions
	) {
		for (const m of catalog.models) this.states.set(m.id, { probe: null, consecutiveProbeFailures: 0, recent: [] });
	}

	status(modelId: string): HealthStatus {
		const s = this.states.get(modelId);
		if (!s) return 'unknown';
		if (s.consecutiveProbeFailures >= 2) return 'down';
		if (s.probe === 'slow' || s.recent.filter((ok) => !ok).length >= 3) return 'degraded';
		if (s.probe === null && s.recent.length === 0) return 'unknown';
		return 'healthy';
	}

	record(modelId: string, ok: boolean): void {
		const s = this.states.get(modelId);
		if (!s) return;
		s.recent.push(ok);
		if (s.recent.length > 5) s.recent.shift();
		if (ok) s.consecutiveProbeFailures = 0;
	}

	start(): void {
		if (this.o.intervalMs <= 0 || this.timer || this.catalog.models.length === 0) return;
		void this.probeAll();
		this.timer = setInterval(() => void this.probeAll(), this.o.intervalMs);
		this.timer.unref();
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
	}

	/** Probes every provider once (one request per endpoint, shared by its models). */
	async probeAll(): Promise<void> {
		await Promise.all(
			this.catalog.providers.map(async (p) => {
				const result = await this.probe(p.baseURL, p.apiKey, p.headers);
				for (const m of this.catalog.models.filter((m) => m.provider === p.id)) {
					const s = this.states.get(m.id)!;
					const before = this.status(m.id);
					s.probe = result;
					s.consecutiveProbeFailures = result === 'failed' ? s.consecutiveProbeFailures + 1 : 0;
					const after = this.status(m.id);
					if (before !== after && before !== 'unknown') this.o.log?.(`[models] ${m.id} is now ${after}`);
				}
			})
		);
	}

	private async probe(baseURL: string, apiKey: string | null, headers?: Record<string, string>): Promise<'ok' | 'slow' | 'failed'> {
		const started = Date.now();
		try {
			const res = await fetch(`${baseURL.replace(/\/$/, '')}/models`, {
				headers: { ...headers, ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
				signal: AbortSignal.timeout(this.o.timeoutMs ?? 5000)
			});
			await res.body?.cancel();
			if (res.status >= 500 || res.status === 429) return 'failed';
			// 401/404 still prove the server is up; some servers have no /models route.
			return Date.now() - started > (this.o.slowMs ?? 2000) ? 'slow' : 'ok';
		} catch {
			return 'failed';
		}
	}
}
