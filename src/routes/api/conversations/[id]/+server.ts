import { userOf } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';
import { json } from '@sveltejs/kit';
import { api, readJson } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { updateConversationBody } from '$lib/server/http/schemas';
import { deleteConversation, getConversation, listMessages, updateConversation } from '$lib/server/conversations/repository';
import { UserError } from '$lib/server/http/errors';
import { toUIMessages } from '$lib/server/chat/ui-messages';

export const GET: RequestHandler = api(async ({ locals, params }) => {
	const { database } = await getApp();
	const conversation = await getConversation(database.db, userOf(locals).id, params.id);
	const messages = await listMessages(database.db, userOf(locals).id, params.id);
	return json({ conversation, messages: toUIMessages(messages) });
});

export const PATCH: RequestHandler = api(async ({ locals, params, request }) => {
	const { database, config, models } = await getApp();
	const body = await readJson(request, updateConversationBody(config.limits.titleChars), config.limits.bodyBytes);
	if (body.modelId && !models.has(body.modelId)) throw new UserError(400, `Unknown model "${body.modelId}".`, 'unknown_model');
	const conversation = await updateConversation(database.db, userOf(locals).id, params.id, {
		...(body.title !== undefined ? { title: body.title, titleSource: 'user' as const } : {}),
		...(body.modelId !== undefined ? { modelId: body.modelId } : {})
	});
	return json({ conversation });
});

export const DELETE: RequestHandler = api(async ({ locals, params }) => {
	const { database, chat } = await getApp();
	const streaming = await chat.streamingMessageId(userOf(locals).id, params.id);
	if (streaming) await chat.stop(userOf(locals).id, streaming);
	await deleteConversation(database.db, userOf(locals).id, params.id);
	return new Response(null, { status: 204 });
});
