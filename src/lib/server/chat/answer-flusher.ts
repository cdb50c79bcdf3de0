import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';

/** The text of one answer while it streams, saved by the flusher. */
export class DraftAnswer {
	text = '';
	reasoning = '';
	savedText = '';
	savedReasoning = '';
	savedAt = Date.now();

	constructor(
		readonly messageId: string,
		private readonly flusher: AnswerFlusher
	) {}

	/** Stops saving this answer (after any save in flight); the caller then writes its final state. */
	release(): Promise<void> {
		return this.flusher.release(this);
	}
}

export interface FlusherOptions {
	/** How often streaming answers are saved: a crash loses at most this much text (plus one write). */
	intervalMs: number;
	/** An answer with no new text still has its row touched this often (its lease, see LEASE_MS). */
	leaseRenewMs: number;
	log?: (m: string) => void;
}

/** Rows per UPDATE: 3 parameters each, far below PostgreSQL's 65 535. */
const BATCH_ROWS = 500;

/**
 * Saves every streaming answer of this process in one UPDATE per interval, instead of one per
 * answer: at hundreds of concurrent answers, per-answer writes filled the connection pool (and
 * PGlite's single thread). The same write renews each row's lease (updated_at), so other instances
 * can tell a live generation from a dead one.
 */
export class AnswerFlusher {
	private drafts = new Set<DraftAnswer>();
	private timer: NodeJS.Timeout | null = null;
	private inFlight: Promise<void> | null = null;

	constructor(
		private readonly db: Database,
		private readonly o: FlusherOptions
	) {}

	track(messageId: string, initialText = ''): DraftAnswer {
		const draft = new DraftAnswer(messageId, this);
		draft.text = draft.savedText = initialText;
		this.drafts.add(draft);
		this.timer ??= setInterval(() => this.tick(), this.o.intervalMs);
		return draft;
	}

	async release(draft: DraftAnswer): Promise<void> {
		this.drafts.delete(draft);
		if (this.drafts.size === 0 && this.timer) {
			clearInterval(this.timer);
			this.timer = null;
		}
		// A save in flight may hold this answer's older text: let it land before the final write.
		if (this.inFlight) await this.inFlight;
	}

	private tick(): void {
		if (this.inFlight) return;
		const now = Date.now();
		const due = [...this.drafts].filter(
			(d) => d.text !== d.savedText || d.reasoning !== d.savedReasoning || now - d.savedAt >= this.o.leaseRenewMs
		);
		if (due.length === 0) return;
		this.inFlight = this.save(due).finally(() => (this.inFlight = null));
	}

	private async save(due: DraftAnswer[]): Promise<void> {
		for (let i = 0; i < due.length; i += BATCH_ROWS) {
			const batch = due.slice(i, i + BATCH_ROWS).map((d) => ({ draft: d, text: d.text, reasoning: d.reasoning }));
			const rows = sql.join(
				batch.map((b) => sql`(${b.draft.messageId}, ${b.text}, ${JSON.stringify(b.reasoning ? { reasoning: b.reasoning } : {})}::jsonb)`),
				sql`, `
			);
			const savedAt = Date.now();
			try {
				await this.db.execute(sql`
					UPDATE messages AS m SET content = v.content, parts = v.parts, updated_at = ${new Date(savedAt).toISOString()}::timestamptz
					FROM (VALUES ${rows}) AS v(id, content, parts)
					WHERE m.id = v.id AND m.status = 'streaming'`);
			} catch (err) {
				this.o.log?.(`[chat] saving ${batch.length} streaming answers failed: ${(err as Error).message}`);
				continue;
			}
			for (const b of batch) {
				b.draft.savedText = b.text;
				b.draft.savedReasoning = b.reasoning;
				b.draft.savedAt = savedAt;
			}
		}
	}
}
