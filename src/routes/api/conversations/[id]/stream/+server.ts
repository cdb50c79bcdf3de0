import { userOf } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';
import { createUIMessageStreamResponse } from 'ai';
import { api } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { getConversation } from '$lib/server/conversations/repository';

/** Resumes the live answer of a conversation from its first chunk; 204 when none is live. */
export const GET: RequestHandler = api(async ({ locals, params, request }) => {
	const { chat, hub, database } = await getApp();
	await getConversation(database.db, userOf(locals).id, params.id);
	const messageId = await chat.streamingMessageId(userOf(locals).id, params.id);
	const stream = messageId ? await hub.subscribe(messageId, request.signal) : null;
	if (!stream) return new Response(null, { status: 204 });
	return createUIMessageStreamResponse({ stream, headers: { 'x-message-id': messageId! } });
});
