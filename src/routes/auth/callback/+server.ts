import { redirect } from '@sveltejs/kit';
import { getApp } from '$lib/server/app';
import { completeSignIn } from '$lib/server/auth/sign-in';
import type { RequestHandler } from './$types';

/** The identity provider sends the browser back here with a code. */
export const GET: RequestHandler = async ({ url, cookies, request }) => {
	const app = await getApp();
	const auth = app.config.auth;
	if (auth.mode !== 'oidc') redirect(303, '/');
	const outcome = await completeSignIn(app, auth, cookies, url, request.headers.get('user-agent'));
	redirect(303, outcome.ok ? outcome.location : `/auth/error?code=${outcome.code}`);
};
