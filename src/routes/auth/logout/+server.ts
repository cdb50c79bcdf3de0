import { redirect } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';
import { signOut } from '$lib/server/auth/sign-in';
import type { RequestHandler } from './$types';

/** Signs out here and, when the provider supports it, there too (RP-initiated logout). */
export const POST: RequestHandler = async ({ cookies }) => {
	const app = await getApp();
	redirect(303, await signOut(app, cookies));
};
