import type { Message } from '../db/schema';
import type { ChatMessage } from '$lib/chat-types';

/** Stored rows → the AI SDK's UI messages the browser renders. */
export function toUIMessages(rows: Message[]): ChatMessage[] {
	return rows.map((m) => ({
		id: m.id,
		role: m.role,
		metadata: {
			status: m.status,
			statusReason: m.statusReason,
			modelId: m.modelId,
			createdAt: m.createdAt.toISOString()
		},
		parts: [
			...(m.parts.reasoning ? [{ type: 'reasoning' as const, text: m.parts.reasoning, state: 'done' as const }] : []),
			...(m.content ? [{ type: 'text' as const, text: m.content, state: 'done' as const }] : [])
		]
	}));
}
