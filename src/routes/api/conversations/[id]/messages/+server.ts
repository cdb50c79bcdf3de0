import { userOf } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';
import { uiMessageStreamResponse } from '$lib/server/streams/sse-frames';
import { api, readJson } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { sendMessageBody } from '$lib/server/http/schemas';
import type { TurnInput } from '$lib/server/chat/service';

/** Starts a turn (send, edit or regenerate) and streams the answer as a UI message stream. */
export const POST: RequestHandler = api(async ({ locals, params, request }) => {
	const { chat, hub, config, limits } = await getApp();
	const user = userOf(locals);
	const body = await readJson(request, sendMessageBody(config.limits.messageChars), config.limits.bodyBytes);
	const input: TurnInput =
		body.trigger === 'regenerate-message'
			? { kind: 'regenerate' }
			: body.trigger === 'continue-message'
				? { kind: 'continue', messageId: body.messageId }
				: body.edit && body.messageId
				? { kind: 'edit', messageId: body.messageId, text: body.text }
				: { kind: 'submit', text: body.text, messageId: body.messageId };
	await limits.checkChatRequest(user);
	const turn = await chat.startTurn(user.id, params.id, input);
	// The generation goes on if this request goes away: the client can resubscribe.
	const stream = await hub.subscribe(turn.assistantMessageId, request.signal);
	if (!stream) return new Response(null, { status: 204 });
	return uiMessageStreamResponse(stream, turn.assistantMessageId);
});
