// Starts the production build. Without sign-in configured (OIDC_ISSUER unset) the server runs in
// single-user local mode, which must only be reachable from this computer: it binds to 127.0.0.1
// and refuses any other address.
import { isIP } from 'node:net';

const host = (process.env.HOST ||= '127.0.0.1');
const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
if (!loopback && !process.env.OIDC_ISSUER) {
	console.error(
		`[config] HOST=${host} is refused: without sign-in (local mode) the assistant only listens on a loopback address such as 127.0.0.1.`
	);
	process.exit(78);
}
process.env.PORT ||= '3000';
// Bodies above this size are refused by the HTTP layer before any handler runs.
process.env.BODY_SIZE_LIMIT ||= String(512 * 1024);

await import('../build/index.js');
