/** Cookie names. SvelteKit sets HttpOnly, SameSite=Lax and Secure (except on http://localhost). */
export const SESSION_COOKIE = 'aia_session';
export const FLOW_COOKIE = 'aia_signin';
