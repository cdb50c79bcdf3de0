import type { RequestHandler } from './$types';
import { uiMessageStreamResponse } from '$lib/server/streams/sse-frames';
import { api } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { getConversation } from '$lib/server/conversations/repository';
import { userOf } from '$lib/server/http/errors';

/**
 * Resumes the live answer of a conversation from its first chunk; 204 when none is live. An
 * answer that just ended is still replayed for a short while, so a reconnect racing the end
 * gets the whole of it rather than nothing.
 */
export const GET: RequestHandler = api(async ({ locals, params, request }) => {
	const { chat, hub, database } = await getApp();
	const user = userOf(locals);
	await getConversation(database.db, user.id, params.id);
	// A live answer is always the latest one: no turn starts while an answer is being written.
	const messageId = await chat.lastAnswerId(user.id, params.id);
	const stream = messageId ? await hub.subscribe(messageId, request.signal) : null;
	if (!stream) return new Response(null, { status: 204 });
	return uiMessageStreamResponse(stream, messageId!);
});
