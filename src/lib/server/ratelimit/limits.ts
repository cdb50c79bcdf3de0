import type { RateLimitConfig } from '../auth/config';
import { UserError } from '../http/errors';
import type { CounterStore } from './counters';
import { formatDelay } from '$lib/delay';

/**
 * Per-person limits on model use: chat requests per minute (fixed one-minute windows) and
 * tokens per day (UTC days). A refusal is a 429 whose Retry-After says when to come back.
 */
export class UsageLimits {
	constructor(
		private readonly config: RateLimitConfig,
		private readonly counters: CounterStore
	) {}

	private exempt(user: { role: string }): boolean {
		return this.config.exemptAdmins && user.role === 'admin';
	}

	/** Counts one chat request; throws a 429 UserError when a limit is reached. */
	async checkChatRequest(user: { id: string; role: string }, now = Date.now()): Promise<void> {
		if (this.exempt(user)) return;
		const { requestsPerMinute, tokensPerDay } = this.config;
		if (tokensPerDay > 0) {
			const used = await this.counters.get(dayKey(user.id, now));
			if (used >= tokensPerDay) {
				const midnight = new Date(now);
				midnight.setUTCHours(24, 0, 0, 0);
				const retry = Math.ceil((midnight.getTime() - now) / 1000);
				throw new UserError(
					429,
					`You have used your ${tokensPerDay.toLocaleString('en')} tokens for today. You can continue after midnight UTC (in ${formatDelay(retry)}).`,
					'token_quota'
				).withRetryAfter(retry);
			}
		}
		if (requestsPerMinute > 0) {
			const window = Math.floor(now / 60_000);
			const count = await this.counters.increment(`rl:req:${user.id}:${window}`, 1, 61_000);
			if (count > requestsPerMinute) {
				const retry = Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
				throw new UserError(
					429,
					`You have sent ${requestsPerMinute} messages this minute, the most allowed. You can continue in ${formatDelay(retry)}.`,
					'rate_limited'
				).withRetryAfter(retry);
			}
		}
	}

	async recordTokens(userId: string, tokens: number, now = Date.now()): Promise<void> {
		if (tokens > 0) await this.counters.increment(dayKey(userId, now), tokens, 2 * 24 * 3_600_000);
	}

	async tokensToday(userId: string, now = Date.now()): Promise<number> {
		return this.counters.get(dayKey(userId, now));
	}
}

function dayKey(userId: string, now: number): string {
	return `rl:tok:${userId}:${new Date(now).toISOString().slice(0, 10)}`;
}
