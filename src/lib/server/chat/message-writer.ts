import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/client';
import { messages } from '../db/schema';

/**
 * Saves a streaming answer's text at most every flushIntervalMs (so a crash loses ≤ 1 s), and
 * renews the row's lease (updated_at) even when no text comes, so other instances can tell a
 * live generation from a dead one.
 */
export class MessageWriter {
	private flushed = '';
	private lastWrite = Date.now();
	private inFlight: Promise<void> | null = null;
	private timer: NodeJS.Timeout;
	text = '';
	reasoning = '';

	constructor(
		private readonly db: Database,
		private readonly messageId: string,
		flushIntervalMs: number,
		private readonly leaseRenewMs: number,
		private readonly log?: (m: string) => void
	) {
		this.timer = setInterval(() => this.tick(), flushIntervalMs);
	}

	private tick(): void {
		if (this.inFlight) return;
		if (this.text === this.flushed && Date.now() - this.lastWrite < this.leaseRenewMs) return;
		const snapshot = this.text;
		const reasoning = this.reasoning;
		this.inFlight = this.db
			.update(messages)
			.set({ content: snapshot, parts: reasoning ? { reasoning } : {}, updatedAt: new Date() })
			.where(and(eq(messages.id, this.messageId), eq(messages.status, 'streaming')))
			.then(() => {
				this.flushed = snapshot;
				this.lastWrite = Date.now();
			})
			.catch((err) => this.log?.(`[chat] flush failed for ${this.messageId}: ${(err as Error).message}`))
			.finally(() => (this.inFlight = null));
	}

	/** Stops flushing; the caller then writes the final state itself. */
	async stop(): Promise<void> {
		clearInterval(this.timer);
		if (this.inFlight) await this.inFlight;
	}
}
