// `npm test`: checks the real services, installs Chromium when missing, builds the app, then
// runs every Vitest project (unit, integration on PGlite and on PostgreSQL, end-to-end).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';

const PG_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = { host: '127.0.0.1', port: 6379 };

function fail(line) {
	console.error(`\n✗ ${line}\n`);
	process.exit(1);
}

async function checkPostgres() {
	const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
	try {
		await client.connect();
		await client.query('select 1');
	} catch (err) {
		fail(
			`PostgreSQL does not answer at ${PG_URL.replace(/\/[^/]*$/, '')} (${err.message}). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`
		);
	} finally {
		await client.end().catch(() => {});
	}
}

function checkRedis() {
	return new Promise((resolve) => {
		const socket = net.connect(REDIS);
		const timer = setTimeout(() => socket.destroy(new Error('timeout')), 3000);
		socket.once('connect', () => socket.write('PING\r\n'));
		socket.once('data', (d) => {
			clearTimeout(timer);
			socket.end();
			if (d.toString().startsWith('+PONG')) resolve();
			else fail(`Redis at 127.0.0.1:6379 answered ${JSON.stringify(d.toString().trim())} instead of PONG.`);
		});
		socket.once('error', (err) =>
			fail(
				`Redis does not answer at 127.0.0.1:6379 (${err.message}). Start it with: redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no`
			)
		);
	});
}

function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
	return r.status ?? 1;
}

function apt(args) {
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	return process.getuid?.() === 0 ? run('apt-get', args, { env }) : run('sudo', ['-E', 'apt-get', ...args], { env });
}

function ensureChromium() {
	if (fs.existsSync('/usr/bin/chromium')) return;
	console.log('Chromium is missing: installing Debian’s chromium package (end-to-end tests need it)…');
	if (apt(['update', '-qq']) !== 0 || apt(['install', '-y', '-qq', 'chromium', 'fonts-dejavu-core']) !== 0) {
		fail('Could not install Chromium with apt-get (needed by the end-to-end tests): install the "chromium" package and run again.');
	}
}

await checkPostgres();
await checkRedis();
ensureChromium();

console.log('Building the production app…');
if (run('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] }) !== 0) fail('The build failed (see above).');

fs.mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]);

try {
	const r = JSON.parse(fs.readFileSync(report, 'utf8'));
	console.log(`\n${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
	if (status !== 0 && r.numFailedTests === 0) console.log('Vitest failed the run although every test passed: look above for "Unhandled Errors".');
} catch {
	/* vitest crashed before writing its report: its own output says why */
}
process.exit(status);
