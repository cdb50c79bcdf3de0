import type { AccessPolicy } from './config';
import type { Identity } from './oidc';

export interface AccessDecision {
	access: 'granted' | 'pending';
	/** Why, in a few words, for logs and the admin page (never shown with personal data). */
	reason: 'open' | 'allowed_email' | 'allowed_domain' | 'admin' | 'missing_required_claim' | 'not_listed';
}

function claimValues(claims: Record<string, unknown>, name: string): unknown[] {
	// Keycloak nests realm roles: allow a dotted path such as realm_access.roles.
	const value = name.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), claims);
	if (value === undefined || value === null || value === '') return [];
	return Array.isArray(value) ? value : [value];
}

export function hasRequiredClaim(identity: Identity, required: AccessPolicy['requiredClaim']): boolean {
	if (!required) return true;
	const values = required.name === 'roles' ? [...identity.roles, ...claimValues(identity.claims, 'roles')] : claimValues(identity.claims, required.name);
	if (required.value === null) return values.length > 0;
	return values.some((v) => String(v) === required.value);
}

/** Whether a person who just signed in may use the service under the configured policy. */
export function decideAccess(identity: Identity, policy: AccessPolicy, adminEmails: string[]): AccessDecision {
	const email = identity.email.toLowerCase();
	if (adminEmails.includes(email)) return { access: 'granted', reason: 'admin' };
	if (!hasRequiredClaim(identity, policy.requiredClaim)) return { access: 'pending', reason: 'missing_required_claim' };
	if (policy.mode === 'open') return { access: 'granted', reason: 'open' };
	if (policy.allowedEmails.includes(email)) return { access: 'granted', reason: 'allowed_email' };
	const domain = email.slice(email.lastIndexOf('@') + 1);
	if (policy.allowedDomains.some((d) => domain === d || domain.endsWith(`.${d}`))) return { access: 'granted', reason: 'allowed_domain' };
	return { access: 'pending', reason: 'not_listed' };
}
