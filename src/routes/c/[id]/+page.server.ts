import { userOf } from '$lib/server/http/errors';
import { error } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';
import { getConversation, listMessages } from '$lib/server/conversations/repository';
import { toUIMessages } from '$lib/server/chat/ui-messages';
import { UserError } from '$lib/server/http/errors';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params }) => {
	const { database } = await getApp();
	try {
		const conversation = await getConversation(database.db, userOf(locals).id, params.id);
		const messages = await listMessages(database.db, userOf(locals).id, params.id);
		return {
			conversation: { id: conversation.id, title: conversation.title, modelId: conversation.modelId },
			messages: toUIMessages(messages)
		};
	} catch (err) {
		if (err instanceof UserError && err.status === 404) error(404, 'Conversation not found');
		throw err;
	}
};
