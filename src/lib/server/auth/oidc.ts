/**
 * OpenID Connect sign-in (ProConnect, Keycloak, any conformant provider), on top of openid-client.
 *
 *   const oidc = await OidcClient.discover(settings);          // once, keep it (cache per issuer)
 *   const { url, pending } = await oidc.begin('/conversations'); // store `pending` server-side, redirect to `url`
 *   const { identity, idToken } = await oidc.complete(callbackUrl, pending); // on the redirect_uri
 *   const logoutUrl = oidc.endSessionUrl(idToken);              // RP-initiated logout, or null
 *
 * Every sign-in failure is an `OidcSignInError` whose `code` says what went wrong and whose
 * `message` can be shown to the person signing in; the technical reason is in `cause`.
 */
import * as client from 'openid-client';

export interface OidcSettings {
	issuer: string;
	clientId: string;
	clientSecret?: string;
	redirectUri: string;
	postLogoutRedirectUri?: string;
	/** e.g. 'openid email given_name usual_name siret' for ProConnect, 'openid email profile' for Keycloak */
	scopes: string;
	/** Allow an http:// issuer; only accepted for loopback issuers (tests, local dev). */
	allowHttp?: boolean;
	acrValues?: string;
}

export interface PendingSignIn {
	state: string;
	nonce: string;
	codeVerifier: string;
	returnTo: string;
	createdAt: number;
}

export interface Identity {
	issuer: string;
	subject: string;
	email: string;
	emailVerified: boolean | null;
	givenName: string | null;
	familyName: string | null;
	name: string;
	siret: string | null;
	organization: string | null;
	roles: string[];
	/** ID token claims merged with userinfo claims. */
	claims: Record<string, unknown>;
}

export type OidcSignInErrorCode =
	| 'state_mismatch'
	| 'invalid_grant'
	| 'id_token_expired'
	| 'wrong_audience'
	| 'nonce_mismatch'
	| 'missing_email'
	| 'provider_error'
	| 'provider_unreachable'
	| 'invalid_response';

const MESSAGES: Record<OidcSignInErrorCode, string> = {
	state_mismatch: 'This sign-in attempt is not the one in progress in this browser (it may have expired). Please sign in again.',
	invalid_grant: 'This sign-in attempt has expired or was already used. Please sign in again.',
	id_token_expired: 'The sign-in response has expired. Please sign in again.',
	wrong_audience: 'The sign-in response was issued for another application. Please sign in again.',
	nonce_mismatch: 'The sign-in response does not match this sign-in attempt. Please sign in again.',
	missing_email: 'Your account has no email address at the sign-in service, and one is required. Please contact your administrator.',
	provider_error: 'The sign-in service reported an error. Please try again.',
	provider_unreachable: 'The sign-in service cannot be reached right now. Please try again in a few minutes.',
	invalid_response: 'The sign-in service sent an invalid response. Please try again or contact your administrator.'
};

export class OidcSignInError extends Error {
	override name = 'OidcSignInError';
	constructor(
		readonly code: OidcSignInErrorCode,
		message: string = MESSAGES[code],
		options?: { cause?: unknown }
	) {
		super(message, options);
	}
}

export class OidcClient {
	private constructor(
		private readonly config: client.Configuration,
		private readonly settings: OidcSettings
	) {}

	/** Fetches the provider's discovery document. Throws `provider_unreachable` (or `invalid_response`). */
	static async discover(settings: OidcSettings): Promise<OidcClient> {
		const issuer = new URL(settings.issuer);
		if (issuer.protocol === 'http:' && !(settings.allowHttp && isLoopback(issuer.hostname))) {
			throw new Error(`OIDC issuer ${settings.issuer} must use https (allowHttp only applies to loopback issuers)`);
		}
		const execute = [client.enableNonRepudiationChecks]; // verify ID token (and JWT userinfo) signatures
		if (issuer.protocol === 'http:') execute.push(client.allowInsecureRequests);
		try {
			const config = await client.discovery(
				issuer,
				settings.clientId,
				settings.clientSecret,
				clientAuthentication(settings.clientSecret),
				{ execute, timeout: 10 }
			);
			return new OidcClient(config, settings);
		} catch (error) {
			// A discovery document that is there but wrong (e.g. another issuer) is an invalid response;
			// anything else (network, timeout, HTTP error status, not JSON) means we could not reach it.
			const wrongDocument =
				error instanceof client.ClientError &&
				(error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' || error.code === 'OAUTH_INVALID_RESPONSE');
			throw new OidcSignInError(wrongDocument ? 'invalid_response' : 'provider_unreachable', undefined, {
				cause: error
			});
		}
	}

	get issuer(): string {
		return this.config.serverMetadata().issuer;
	}

	/** Starts a sign-in: authorization code + PKCE (S256) + state + nonce. Store `pending` server-side. */
	async begin(returnTo: string): Promise<{ url: string; pending: PendingSignIn }> {
		const pending: PendingSignIn = {
			state: client.randomState(),
			nonce: client.randomNonce(),
			codeVerifier: client.randomPKCECodeVerifier(),
			returnTo: safeReturnTo(returnTo),
			createdAt: Date.now()
		};
		const parameters: Record<string, string> = {
			redirect_uri: this.settings.redirectUri,
			scope: this.settings.scopes,
			response_type: 'code',
			code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
			code_challenge_method: 'S256',
			state: pending.state,
			nonce: pending.nonce
		};
		if (this.settings.acrValues) parameters.acr_values = this.settings.acrValues;
		return { url: client.buildAuthorizationUrl(this.config, parameters).href, pending };
	}

	/** Handles the redirect back from the provider: checks it, exchanges the code, reads the identity. */
	async complete(callbackUrl: URL, pending: PendingSignIn): Promise<{ identity: Identity; idToken: string }> {
		const params = callbackUrl.searchParams;
		const error = params.get('error');
		if (error) throw providerError(error, params.get('error_description'));
		if (params.get('state') !== pending.state) throw new OidcSignInError('state_mismatch');

		// The token request's redirect_uri must be the registered one, not the URL as seen behind a proxy.
		const responseUrl = new URL(this.settings.redirectUri);
		responseUrl.search = callbackUrl.search;

		try {
			const tokens = await client.authorizationCodeGrant(this.config, responseUrl, {
				pkceCodeVerifier: pending.codeVerifier,
				expectedState: pending.state,
				expectedNonce: pending.nonce,
				idTokenExpected: true
			});
			const idTokenClaims = tokens.claims()!;
			const userinfo = this.config.serverMetadata().userinfo_endpoint
				? await client.fetchUserInfo(this.config, tokens.access_token, idTokenClaims.sub)
				: {};
			const claims = { ...userinfo, ...idTokenClaims } as Record<string, unknown>;
			return { identity: identityFromClaims(this.issuer, claims), idToken: tokens.id_token! };
		} catch (error) {
			throw toSignInError(error);
		}
	}

	/** RP-initiated logout URL, or null when the provider has no end_session_endpoint. */
	endSessionUrl(idTokenHint: string, state?: string): string | null {
		if (!this.config.serverMetadata().end_session_endpoint) return null;
		const parameters: Record<string, string> = { id_token_hint: idTokenHint };
		if (this.settings.postLogoutRedirectUri) parameters.post_logout_redirect_uri = this.settings.postLogoutRedirectUri;
		if (state) parameters.state = state;
		return client.buildEndSessionUrl(this.config, parameters).href;
	}
}

/** Maps ID token + userinfo claims (ProConnect, Keycloak, generic OIDC) to an Identity. */
export function identityFromClaims(issuer: string, claims: Record<string, unknown>): Identity {
	const email = text(claims.email);
	if (!email) throw new OidcSignInError('missing_email');
	const givenName = text(claims.given_name);
	const familyName = text(claims.family_name) ?? text(claims.usual_name);
	return {
		issuer,
		subject: String(claims.sub),
		email,
		emailVerified: typeof claims.email_verified === 'boolean' ? claims.email_verified : null,
		givenName,
		familyName,
		name: text(claims.name) ?? ([givenName, familyName].filter(Boolean).join(' ') || email),
		siret: text(claims.siret),
		organization: text(claims.organization) ?? text(claims.organizational_unit),
		roles: [
			...new Set([
				...list(claims.roles),
				...list(claims.groups),
				...list((claims.realm_access as { roles?: unknown } | undefined)?.roles)
			])
		],
		claims
	};
}

function text(value: unknown): string | null {
	return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function list(value: unknown): string[] {
	if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
	return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** client_secret_post when the provider supports it (ProConnect, Keycloak), else client_secret_basic. */
function clientAuthentication(secret: string | undefined): client.ClientAuth {
	if (!secret) return client.None();
	const post = client.ClientSecretPost(secret);
	const basic = client.ClientSecretBasic(secret);
	return (as, metadata, body, headers) =>
		(as.token_endpoint_auth_methods_supported?.includes('client_secret_post') ? post : basic)(as, metadata, body, headers);
}

function isLoopback(hostname: string): boolean {
	return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Only same-site paths: no scheme, no protocol-relative `//host`. */
function safeReturnTo(returnTo: string): string {
	return /^\/(?![/\\])/.test(returnTo) ? returnTo : '/';
}

function providerError(error: string, description: string | null | undefined): OidcSignInError {
	const detail = (description?.trim() || error).replace(/(?<![.!?])$/, '.');
	const message =
		error === 'access_denied'
			? `Sign-in was cancelled or refused by the sign-in service: ${detail}`
			: `The sign-in service reported an error: ${detail}`;
	return new OidcSignInError('provider_error', message, { cause: { error, error_description: description } });
}

/** Maps openid-client / oauth4webapi / network failures to an OidcSignInError. */
function toSignInError(error: unknown): OidcSignInError {
	if (error instanceof OidcSignInError) return error;
	if (error instanceof client.AuthorizationResponseError) {
		return providerError(error.error, error.error_description);
	}
	if (error instanceof client.ResponseBodyError) {
		return error.error === 'invalid_grant'
			? new OidcSignInError('invalid_grant', undefined, { cause: error })
			: providerError(error.error, error.error_description);
	}
	if (error instanceof client.ClientError) {
		if (error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && error.cause instanceof Response && error.cause.status >= 500) {
			return new OidcSignInError('provider_unreachable', undefined, { cause: error });
		}
		const claim = failedClaim(error);
		if (error.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' && claim === 'exp') {
			return new OidcSignInError('id_token_expired', undefined, { cause: error });
		}
		if (error.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && (claim === 'aud' || claim === 'azp')) {
			return new OidcSignInError('wrong_audience', undefined, { cause: error });
		}
		if (error.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && claim === 'nonce') {
			return new OidcSignInError('nonce_mismatch', undefined, { cause: error });
		}
		return new OidcSignInError('invalid_response', undefined, { cause: error });
	}
	if (isNetworkError(error)) return new OidcSignInError('provider_unreachable', undefined, { cause: error });
	return new OidcSignInError('invalid_response', undefined, { cause: error });
}

/** oauth4webapi puts `{ claim }` on the cause of the underlying error. */
function failedClaim(error: Error): unknown {
	for (let cause: unknown = error; cause && typeof cause === 'object'; cause = (cause as { cause?: unknown }).cause) {
		if ('claim' in cause) return (cause as { claim: unknown }).claim;
	}
	return undefined;
}

function isNetworkError(error: unknown): boolean {
	if (!(error instanceof Error)) return false;
	return (
		(error instanceof TypeError && error.message === 'fetch failed') ||
		error.name === 'TimeoutError' ||
		error.name === 'AbortError'
	);
}
