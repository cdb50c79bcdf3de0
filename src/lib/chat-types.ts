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
