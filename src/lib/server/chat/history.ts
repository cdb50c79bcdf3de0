import type { Message } from '../db/schema';

/**
 * Builds what the model sees from stored messages, trimmed oldest-first so that the prompt
 * plus the room reserved for the answer fits the model's context window.
 */

/** A deliberately pessimistic estimate (French averages ~4 characters per token). */
export function estimateTokens(text: string): number {
	return Math.ceil(text.length / 3) + 4;
}

/** A message as the model receives it. */
export interface PromptMessage {
	role: 'user' | 'assistant';
	content: string;
}

/** What a stored message contributes to the prompt. */
export type HistoryMessage = Pick<Message, 'role' | 'content' | 'status'>;

export function toModelMessages(history: HistoryMessage[]): PromptMessage[] {
	return history
		.filter((m) => m.content.trim() !== '' && (m.role === 'user' || m.status !== 'error'))
		.map((m) => ({ role: m.role, content: m.content }));
}

export interface TrimResult {
	messages: PromptMessage[];
	dropped: number;
	estimatedTokens: number;
}

export function trimToContext(
	system: string,
	messages: PromptMessage[],
	contextWindow: number,
	reservedForAnswer: number
): TrimResult {
	const budget = contextWindow - reservedForAnswer - estimateTokens(system);
	const kept: PromptMessage[] = [];
	let used = 0;
	for (let i = messages.length - 1; i >= 0; i--) {
		const cost = estimateTokens(messages[i].content);
		if (used + cost > budget && kept.length > 0) break;
		kept.unshift(messages[i]);
		used += cost;
	}
	// The conversation must start with the user: drop a leading assistant message left by trimming.
	while (kept.length > 1 && kept[0].role === 'assistant') kept.shift();
	// The newest message alone may exceed the budget: cut it from the start, keeping its end.
	if (used > budget && kept.length === 1) {
		const maxChars = Math.max(0, (budget - 4) * 3);
		kept[0] = { ...kept[0], content: kept[0].content.slice(-maxChars) };
		used = estimateTokens(kept[0].content);
	}
	return { messages: kept, dropped: messages.length - kept.length, estimatedTokens: used };
}

const dateFormats = {
	fr: new Intl.DateTimeFormat('fr-FR', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'Europe/Paris' }),
	en: new Intl.DateTimeFormat('en-GB', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'Europe/Paris' })
};

export function systemPrompt(now: Date, locale: 'fr' | 'en' = 'fr'): string {
	// A shared formatter: toLocaleDateString builds a new one each call (~100 µs).
	const date = dateFormats[locale].format(now);
	return [
		"Tu es Assistant IA, l'assistant conversationnel des agents publics.",
		`Nous sommes le ${date}.`,
		"Réponds dans la langue de l'utilisateur, de façon exacte, claire et concise. Utilise le Markdown (titres, listes, tableaux, blocs de code) et LaTeX entre $…$ ou $$…$$ pour les formules.",
		"Si tu ne sais pas, dis-le : n'invente ni faits, ni références, ni liens."
	].join('\n');
}
