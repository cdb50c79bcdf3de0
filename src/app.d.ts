import type { Locale } from '$lib/i18n';

declare global {
	namespace App {
		interface Locals {
			/** The signed-in person (the local user in local mode); null when anonymous. */
			user: {
				id: string;
				name: string;
				email: string | null;
				role: 'user' | 'admin';
				access: 'granted' | 'pending';
			} | null;
			/** The session id (hash) in OIDC mode. */
			sessionId: string | null;
			locale: Locale;
		}
		interface Error {
			message: string;
		}
	}
}

export {};
