import { z } from 'zod';
import type { OidcSettings } from './oidc';

/** Sign-in, access policy, sessions and rate limits, read from the environment. */

export interface AccessPolicy {
	/** 'open': anyone who signs in; 'restricted': only those the rules below let in. */
	mode: 'open' | 'restricted';
	allowedEmails: string[];
	allowedDomains: string[];
	/** A claim every person must carry, e.g. {name:'roles', value:'assistant'}; null for none. */
	requiredClaim: { name: string; value: string | null } | null;
}

export type AuthConfig =
	| { mode: 'local' }
	| {
			mode: 'oidc';
			oidc: OidcSettings;
			policy: AccessPolicy;
			adminEmails: string[];
			session: { idleMs: number; maxAgeMs: number };
	  };

export interface RateLimitConfig {
	requestsPerMinute: number;
	tokensPerDay: number;
	exemptAdmins: boolean;
}

const list = z
	.string()
	.optional()
	.transform((v) =>
		(v ?? '')
			.split(',')
			.map((s) => s.trim().toLowerCase())
			.filter(Boolean)
	);

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).optional().transform((v) => v ?? fallback);

const schema = z.object({
	OIDC_ISSUER: z.url({ error: 'must be the issuer URL, e.g. https://auth.proconnect.gouv.fr/api/v2' }).optional(),
	OIDC_CLIENT_ID: z.string().min(1).optional(),
	OIDC_CLIENT_SECRET: z.string().min(1).optional(),
	OIDC_SCOPES: z.string().min(1).optional(),
	OIDC_REDIRECT_URI: z.url().optional(),
	OIDC_POST_LOGOUT_REDIRECT_URI: z.url().optional(),
	OIDC_ACR_VALUES: z.string().min(1).optional(),
	ORIGIN: z.url({ error: 'must be the public URL of the service, e.g. https://assistant.example.gouv.fr' }).optional(),
	ACCESS_POLICY: z.enum(['open', 'restricted']).optional().transform((v) => v ?? 'restricted'),
	ACCESS_ALLOWED_EMAILS: list,
	ACCESS_ALLOWED_DOMAINS: list,
	ACCESS_REQUIRED_CLAIM: z
		.string()
		.regex(/^[A-Za-z0-9_.:-]+(=.+)?$/, 'must be "claim" or "claim=value"')
		.optional(),
	ADMIN_EMAILS: list,
	SESSION_IDLE_TIMEOUT_MINUTES: int(8 * 60, 1),
	SESSION_MAX_AGE_HOURS: int(7 * 24, 1),
	RATE_LIMIT_REQUESTS_PER_MINUTE: int(20),
	RATE_LIMIT_TOKENS_PER_DAY: int(500_000),
	RATE_LIMIT_EXEMPT_ADMINS: z
		.enum(['true', 'false'])
		.optional()
		.transform((v) => v !== 'false')
});

export class AuthConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ConfigError';
	}
}

export function readAuthConfig(env: Record<string, string | undefined>): { auth: AuthConfig; rateLimits: RateLimitConfig } {
	const parsed = schema.safeParse(env);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new AuthConfigError(`Invalid environment variable ${issue.path.join('.')}: ${issue.message}`);
	}
	const e = parsed.data;
	const rateLimits = {
		requestsPerMinute: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
		tokensPerDay: e.RATE_LIMIT_TOKENS_PER_DAY,
		exemptAdmins: e.RATE_LIMIT_EXEMPT_ADMINS
	};
	if (!e.OIDC_ISSUER) return { auth: { mode: 'local' }, rateLimits };

	if (!e.OIDC_CLIENT_ID) throw new AuthConfigError('OIDC_CLIENT_ID is required when OIDC_ISSUER is set');
	const origin = e.ORIGIN?.replace(/\/$/, '');
	const redirectUri = e.OIDC_REDIRECT_URI ?? (origin ? `${origin}/auth/callback` : undefined);
	if (!redirectUri) throw new AuthConfigError('ORIGIN (or OIDC_REDIRECT_URI) is required when OIDC_ISSUER is set');
	const issuerHost = new URL(e.OIDC_ISSUER).hostname;
	const claim = e.ACCESS_REQUIRED_CLAIM;
	return {
		rateLimits,
		auth: {
			mode: 'oidc',
			oidc: {
				issuer: e.OIDC_ISSUER,
				clientId: e.OIDC_CLIENT_ID,
				clientSecret: e.OIDC_CLIENT_SECRET,
				scopes: e.OIDC_SCOPES ?? 'openid email profile',
				redirectUri,
				postLogoutRedirectUri: e.OIDC_POST_LOGOUT_REDIRECT_URI ?? new URL('/auth/signed-out', origin ?? redirectUri).href,
				acrValues: e.OIDC_ACR_VALUES,
				// Plain http is only accepted for a provider on this machine (development, tests).
				allowHttp: issuerHost === '127.0.0.1' || issuerHost === 'localhost' || issuerHost === '[::1]'
			},
			policy: {
				mode: e.ACCESS_POLICY,
				allowedEmails: e.ACCESS_ALLOWED_EMAILS,
				allowedDomains: e.ACCESS_ALLOWED_DOMAINS.map((d) => d.replace(/^@/, '')),
				requiredClaim: claim
					? { name: claim.split('=')[0], value: claim.includes('=') ? claim.slice(claim.indexOf('=') + 1) : null }
					: null
			},
			adminEmails: e.ADMIN_EMAILS,
			session: { idleMs: e.SESSION_IDLE_TIMEOUT_MINUTES * 60_000, maxAgeMs: e.SESSION_MAX_AGE_HOURS * 3_600_000 }
		}
	};
}
