import { userOf } from '$lib/server/http/errors';
import type { RequestHandler } from './$types';
import { json } from '@sveltejs/kit';
import { api, readJson } from '$lib/server/http/json';
import { getApp } from '$lib/server/app';
import { createConversationBody } from '$lib/server/http/schemas';
import { createConversation, listConversations, searchConversations } from '$lib/server/conversations/repository';
import { UserError } from '$lib/server/http/errors';

export const GET: RequestHandler = api(async ({ locals, url }) => {
	const { database } = await getApp();
	const q = url.searchParams.get('q')?.trim();
	if (q && q.length > 200) throw new UserError(400, 'The search is too long (limit 200 characters).', 'query_too_long');
	const items = q
		? await searchConversations(database.db, userOf(locals).id, q)
		: await listConversations(database.db, userOf(locals).id);
	return json({ conversations: items });
});

export const POST: RequestHandler = api(async ({ locals, request }) => {
	const { database, config, models } = await getApp();
	const body = await readJson(request, createConversationBody, config.limits.bodyBytes);
	if (body.modelId && !models.has(body.modelId)) throw new UserError(400, `Unknown model "${body.modelId}".`, 'unknown_model');
	const modelId = models.isEmpty ? null : models.forNewConversation(body.modelId).id;
	const conversation = await createConversation(database.db, userOf(locals).id, {
		title: locals.locale === 'fr' ? 'Nouvelle conversation' : 'New conversation',
		modelId
	});
	return json({ conversation }, { status: 201 });
});
