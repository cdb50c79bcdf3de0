import { redirect } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';
import { safeReturnTo } from '$lib/server/auth/guard';
import { beginSignIn } from '$lib/server/auth/sign-in';
import type { RequestHandler } from './$types';

/** Sends the browser to the identity provider (authorization code flow with PKCE). */
export const GET: RequestHandler = async ({ url, cookies }) => {
	const app = await getApp();
	if (app.config.auth.mode !== 'oidc') redirect(303, '/');
	const outcome = await beginSignIn(app, cookies, url, safeReturnTo(url.searchParams.get('returnTo')));
	redirect(303, outcome.ok ? outcome.location : `/auth/error?code=${outcome.code}`);
};
