import { getApp } from '$lib/server/app';
import { listConversations } from '$lib/server/conversations/repository';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, depends }) => {
	depends('app:conversations');
	const { database, models, config } = await getApp();
	const conversations = await listConversations(database.db, locals.user.id);
	return {
		locale: locals.locale,
		user: { name: locals.user.name },
		mode: config.mode,
		models: models.list(),
		limits: { messageChars: config.limits.messageChars, titleChars: config.limits.titleChars },
		conversations: conversations.map((c) => ({ ...c, updatedAt: c.updatedAt.toISOString() }))
	};
};
