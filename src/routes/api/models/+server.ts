import { json } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';

export const GET = async () => {
	const { models } = await getApp();
	return json({ models: models.list() });
};
