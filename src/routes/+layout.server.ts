import { getApp } from '$lib/server/app';
import { listConversations } from '$lib/server/conversations/repository';
import type { LayoutServerLoad } from './$types';

export const load: LayoutServerLoad = async ({ locals, depends }) => {
	depends('app:conversations');
	const { database, models, config } = await getApp();
	const user = locals.user;
	const conversations = user?.access === 'granted' ? await listConversations(database.db, user.id) : [];
	return {
		locale: locals.locale,
		user: user ? { name: user.name, email: user.email, role: user.role, access: user.access } : null,
		mode: config.mode,
		models: models.list(),
		limits: { messageChars: config.limits.messageChars, titleChars: config.limits.titleChars },
		conversations: conversations.map((c) => ({ ...c, updatedAt: c.updatedAt.toISOString() }))
	};
};
