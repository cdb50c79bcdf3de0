/**
 * The first message of a new conversation: the home page creates the conversation, stores the
 * text here and navigates to it; the conversation page sends it once mounted.
 */
const pending = new Map<string, string>();

export function setPendingSend(conversationId: string, text: string): void {
	pending.set(conversationId, text);
}

export function takePendingSend(conversationId: string): string | undefined {
	const text = pending.get(conversationId);
	pending.delete(conversationId);
	return text;
}
