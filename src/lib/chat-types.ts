import type { UIMessage } from 'ai';

/** Types shared by the server and the browser. */

export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'interrupted' | 'error';

export interface MessageMetadata {
	status: MessageStatus;
	statusReason?: string | null;
	modelId?: string | null;
	createdAt?: string;
}

export type ChatMessage = UIMessage<MessageMetadata, { title: { conversationId: string; title: string } }>;

export interface ConversationItem {
	id: string;
	title: string;
	modelId: string | null;
	updatedAt: string | Date;
	snippet?: string;
}

export interface ModelOption {
	id: string;
	label: string;
	description?: string;
	contextWindow: number;
	isDefault: boolean;
	health: 'healthy' | 'degraded' | 'down' | 'unknown';
	fallback?: string;
}

/** The visible text of a message: its text parts, joined. */
export function textOf(message: Pick<ChatMessage, 'parts'>): string {
	return message.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

export interface ApiErrorBody {
	code?: string;
	message?: string;
	retryAfter?: number;
}

/** The AI SDK transport puts the server's JSON error body in Error.message; null when it is not one. */
export function apiErrorOf(err: Error): ApiErrorBody | null {
	try {
		return JSON.parse(err.message)?.error ?? null;
	} catch {
		return null;
	}
}
