// Starts the production build. Without sign-in configured (OIDC_ISSUER unset) the server runs in
// single-user local mode, reachable from this computer only: HOST defaults to 127.0.0.1, and the
// configuration (src/lib/server/config.ts) refuses any non-loopback address in that mode.
process.env.HOST ||= '127.0.0.1';
process.env.PORT ||= '3000';
// Bodies above this size are refused by the HTTP layer before any handler runs.
process.env.BODY_SIZE_LIMIT ||= String(512 * 1024);

await import('../build/index.js');
