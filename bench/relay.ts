/**
 * Relay overhead: time-to-first-token and delivered token rate through the app's real chat
 * endpoint (POST /api/conversations/:id/messages, UI message stream over SSE) versus directly
 * from the upstream, at several numbers of concurrent streams on one app process.
 *
 *   node --import tsx bench/relay.ts [--smoke] [--streams 1,50,200,500] [--tokens 200] [--tps 50]
 *                                    [--ttft 20] [--db pglite|postgres|pglite,postgres] [--rounds 3]
 *                                    [--profile]   (a .cpuprofile of the app's measured phase, per level)
 *
 * Load shape: N virtual users start staggered over one stream's duration, then each runs
 * `rounds` streams back to back (a new conversation each time, created beforehand), so N requests
 * are in flight at any time. The first round is the ramp-up and is not measured.
 * The same schedule and the same client run first against the upstream directly (the physical
 * limit on this machine), then through the app. Each app stream's added TTFT is its TTFT minus
 * the median direct TTFT at the same concurrency.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { figure, figures, log, machine, median, parseFlags, percentile, type Conditions } from './lib/figures';
import { cpuPercent, cpuSample, peakRssMb, rssMb, rssSampler, selfCpuSample, type CpuSample } from './lib/proc';
import { printInclusivePackages, printTopFunctions, type CpuProfile } from './lib/profile';
import { createConversations, ensureResultsDir, ROOT, startApp, startUpstream, type Upstream } from './lib/services';
import { rate, streamRequest, ttft, type StreamResult } from './lib/stream-client';

const { smoke, opts } = parseFlags();
const LEVELS = (opts.streams ?? (smoke ? '3' : '1,50,200,500')).split(',').map(Number);
const TOKENS = Number(opts.tokens ?? (smoke ? 20 : 200));
const TPS = Number(opts.tps ?? (smoke ? 200 : 50));
const TTFT = Number(opts.ttft ?? 20);
const DBS = (opts.db ?? 'pglite').split(',') as Array<'pglite' | 'postgres'>;
const PROFILE = opts.profile === 'true';
const streamMs = TTFT + (TOKENS / TPS) * 1000;
/** A stream that takes longer than this is given up and counted in streams_failed. */
const STREAM_TIMEOUT_MS = smoke ? 30_000 : Math.max(120_000, 10 * streamMs);

const QUESTION = 'Quelles pièces faut-il joindre à une demande de titre de séjour ?';

interface PhaseResult {
	/** measured streams (rounds after the first) */
	results: Timed[];
	/** every stream, ramp-up included */
	all: Timed[];
	wallMs: number;
	client: number;
	upstream: number;
	server?: number;
	serverRssPeak?: number;
	serverRssHwm?: number;
}

function roundsFor(n: number): number {
	if (opts.rounds) return Number(opts.rounds);
	if (smoke) return 2;
	return n === 1 ? 6 : 3;
}

interface Timed extends StreamResult {
	user: number;
	round: number;
	end: number;
}

/** Runs the staggered schedule; `run(slot)` performs one stream. */
async function schedule(n: number, rounds: number, run: (slot: number) => Promise<StreamResult>): Promise<{ measured: Timed[]; all: Timed[] }> {
	const all: Timed[] = [];
	const stagger = n > 1 ? streamMs / n : 0;
	await Promise.all(
		Array.from({ length: n }, async (_, user) => {
			await new Promise((r) => setTimeout(r, user * stagger));
			for (let round = 0; round < rounds; round++) {
				const res = await run(user * rounds + round);
				all.push({ ...res, user, round, end: performance.now() });
			}
		})
	);
	return { measured: all.filter((r) => r.round > 0), all }; // round 0 is the ramp-up
}

/**
 * Streams delivering tokens at once (between their first and last token), on average over the
 * steady state: from the moment the last user started to the moment the first user finished all
 * its rounds. Requests in flight are always N (each user waits for its answer); when the app falls
 * behind, part of them wait for their first token and fewer streams are actually delivering.
 */
function achievedConcurrency(all: Timed[]): number {
	if (all.length === 0) return 0;
	const users = [...new Set(all.map((r) => r.user))];
	const from = Math.max(...users.map((u) => Math.min(...all.filter((r) => r.user === u).map((r) => r.start))));
	const to = Math.min(...users.map((u) => Math.max(...all.filter((r) => r.user === u).map((r) => r.end))));
	if (to <= from) return NaN;
	const busy = all.reduce((s, r) => (Number.isFinite(r.first) ? s + Math.max(0, Math.min(r.last, to) - Math.max(r.first, from)) : s), 0);
	return busy / (to - from);
}

async function phase(
	n: number,
	rounds: number,
	upstream: Upstream,
	run: (slot: number) => Promise<StreamResult>,
	serverPid?: number
): Promise<PhaseResult> {
	const c0 = selfCpuSample();
	const u0 = cpuSample(upstream.pid);
	const s0: CpuSample | undefined = serverPid ? cpuSample(serverPid) : undefined;
	const rss = serverPid ? rssSampler(serverPid, 100) : undefined;
	const t0 = performance.now();
	const { measured: results, all } = await schedule(n, rounds, run);
	const wallMs = performance.now() - t0;
	return {
		results,
		all,
		wallMs,
		client: cpuPercent(c0, selfCpuSample()),
		upstream: cpuPercent(u0, cpuSample(upstream.pid)),
		server: serverPid && s0 ? cpuPercent(s0, cpuSample(serverPid)) : undefined,
		serverRssPeak: rss?.stop().peakMb,
		serverRssHwm: serverPid ? peakRssMb(serverPid) : undefined
	};
}

function directRun(upstream: Upstream) {
	const body = JSON.stringify({ model: 'small', stream: true, messages: [{ role: 'user', content: QUESTION }] });
	return () => streamRequest(`${upstream.url}/chat/completions`, body, 'upstream', { authorization: 'Bearer test-key' }, STREAM_TIMEOUT_MS);
}

function appRun(appUrl: string, conversations: string[]) {
	const body = JSON.stringify({ trigger: 'submit-message', text: QUESTION });
	return (slot: number) => streamRequest(`${appUrl}/api/conversations/${conversations[slot]}/messages`, body, 'app', {}, STREAM_TIMEOUT_MS);
}

async function level(n: number, db: 'pglite' | 'postgres', upstream: Upstream): Promise<void> {
	const rounds = roundsFor(n);
	const cond: Conditions = {
		streams: n,
		tps: TPS,
		ttft_ms: TTFT,
		tokens: TOKENS,
		db,
		measured_streams: n * (rounds - 1),
		title_request: true,
		...machine()
	};
	log(`relay: ${n} concurrent stream(s), ${rounds} rounds, ${TOKENS} tokens at ${TPS}/s, db ${db}`);

	// 1. Directly from the upstream: the physical limit with this client on this machine.
	const direct = await phase(n, rounds, upstream, directRun(upstream));

	// 2. Through the app (a fresh process per level, so RSS and CPU belong to this level).
	const profileDir = PROFILE ? fs.mkdtempSync(path.join(ensureResultsDir(), `relay-${db}-${n}-`)) : null;
	const app = await startApp({
		upstreamUrl: upstream.url,
		db,
		// In-process V8 profiler, started and stopped with SIGUSR2 around the measured phase.
		env: profileDir ? { NODE_OPTIONS: `--import=${pathToFileURL(path.join(ROOT, 'bench/lib/cpu-profile-hook.mjs')).href}`, BENCH_PROFILE_DIR: profileDir } : undefined
	});
	try {
		const pid = app.process.pid!;
		// Warm-up (JIT, connection pools): a few streams, not measured.
		const warm = await createConversations(app.url, Math.min(10, n + 2));
		await Promise.all(warm.map((_, i) => appRun(app.url, warm)(i)));
		const conversations = await createConversations(app.url, n * rounds);
		const idleRss = rssMb(pid);
		if (profileDir) process.kill(pid, 'SIGUSR2');
		const through = await phase(n, rounds, upstream, appRun(app.url, conversations), pid);
		if (profileDir) {
			process.kill(pid, 'SIGUSR2');
			await new Promise((r) => setTimeout(r, 1500));
		}
		report(cond, direct, through, idleRss, n);
	} catch (err) {
		log(`relay failed at ${n} streams; app output:\n${app.output().slice(-3000)}`);
		throw err;
	} finally {
		const code = await app.stop();
		if (code !== 0) log(`app exited with ${code}:\n${app.output().slice(-2000)}`);
		if (profileDir) {
			for (const f of fs.readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))) {
				log(`app CPU profile (measured phase): ${path.join(profileDir, f)}`);
				const profile = JSON.parse(fs.readFileSync(path.join(profileDir, f), 'utf8')) as CpuProfile;
				printTopFunctions(profile, 30);
				printInclusivePackages(profile, 25);
			}
		}
	}
}

function report(cond: Conditions, direct: PhaseResult, through: PhaseResult, idleRss: number, n: number): void {
	const okDirect = direct.results.filter((r) => r.count > 0);
	const okApp = through.results.filter((r) => r.count > 0);
	const failed = through.results.filter((r) => !r.finished || r.count !== TOKENS || r.error);
	const directTtft = okDirect.map(ttft);
	const appTtft = okApp.map(ttft);
	const base = median(directTtft);
	const added = appTtft.map((t) => t - base);
	const directRate = median(okDirect.map(rate).filter(Number.isFinite));
	const appRates = okApp.map(rate).filter(Number.isFinite);
	const at = (k: number, t: string) => (n === k ? t : undefined);
	const b = 'relay';
	figure(b, 'direct_ttft_p50', base, 'ms', cond);
	figure(b, 'direct_ttft_p99', percentile(directTtft, 99), 'ms', cond);
	figure(b, 'app_ttft_p50', median(appTtft), 'ms', cond);
	figure(b, 'app_ttft_p99', percentile(appTtft, 99), 'ms', cond);
	// The app answers its headers once the turn is saved, before it calls the model: how much of
	// the added TTFT is the turn's own database work.
	const appHeaders = okApp.map((r) => r.headers - r.start);
	figure(b, 'app_headers_p50', median(appHeaders), 'ms', cond);
	figure(b, 'app_headers_p99', percentile(appHeaders, 99), 'ms', cond);
	figure(b, 'added_ttft_p50', median(added), 'ms', cond, at(200, '<= 5'));
	figure(b, 'added_ttft_p99', percentile(added, 99), 'ms', cond, at(200, '<= 25'));
	figure(b, 'direct_rate_p50', directRate, 'tokens/s', cond);
	figure(b, 'app_rate_p50', median(appRates), 'tokens/s', cond);
	figure(b, 'rate_ratio', median(appRates) / directRate, 'ratio', cond, at(500, '>= 0.99'));
	figure(b, 'rate_ratio_p1', percentile(appRates, 1) / directRate, 'ratio', cond);
	figure(b, 'direct_token_gap_p99', percentile(okDirect.flatMap((r) => r.gaps), 99), 'ms', cond);
	figure(b, 'app_token_gap_p99', percentile(okApp.flatMap((r) => r.gaps), 99), 'ms', cond);
	figure(b, 'app_token_gap_max', Math.max(0, ...okApp.map((r) => r.maxGap)), 'ms', cond);
	figure(b, 'server_rss_idle', idleRss, 'MB', cond);
	figure(b, 'server_rss_peak', through.serverRssPeak ?? NaN, 'MB', cond, at(500, '<= 400'));
	figure(b, 'server_rss_hwm', through.serverRssHwm ?? NaN, 'MB', cond);
	figure(b, 'server_cpu', through.server ?? NaN, '% of one core', cond);
	// CPU per relayed token over the whole phase (ramp-up round included, in the CPU and in the tokens).
	const allTokens = through.all.reduce((s, r) => s + r.count, 0);
	figure(b, 'server_cpu_per_token', (((through.server ?? 0) / 100) * through.wallMs * 1000) / allTokens, 'µs', cond);
	figure(b, 'direct_streaming', achievedConcurrency(direct.all), 'streams', cond);
	figure(b, 'app_streaming', achievedConcurrency(through.all), 'streams', cond);
	const directThroughput = direct.all.reduce((s, r) => s + r.count, 0) / (direct.wallMs / 1000);
	const appThroughput = allTokens / (through.wallMs / 1000);
	figure(b, 'direct_throughput', directThroughput, 'tokens/s', cond);
	figure(b, 'app_throughput', appThroughput, 'tokens/s', cond);
	figure(b, 'throughput_ratio', appThroughput / directThroughput, 'ratio', cond);
	figure(b, 'direct_phase_time', direct.wallMs / 1000, 's', cond);
	figure(b, 'app_phase_time', through.wallMs / 1000, 's', cond);
	figure(b, 'upstream_cpu_direct', direct.upstream, '% of one core', cond);
	figure(b, 'upstream_cpu_app', through.upstream, '% of one core', cond);
	figure(b, 'client_cpu_direct', direct.client, '% of one core', cond);
	figure(b, 'client_cpu_app', through.client, '% of one core', cond);
	figure(b, 'streams_failed', failed.length, 'streams', cond);
	if (failed.length) {
		const why = new Map<string, number>();
		for (const f of failed) {
			const k = (f.error ?? (f.finished ? `${f.count} tokens` : 'no finish chunk')).replace(/\d+ tokens/, 'N tokens').replace(/after \d+ ms/, 'after T ms');
			why.set(k, (why.get(k) ?? 0) + 1);
		}
		log(`  ${failed.length} app stream(s) incomplete: ${[...why].map(([k, v]) => `${v} × ${k}`).join('; ')}`);
	}
}

function humanSummary(): void {
	const rows = figures().filter((f) => f.bench === 'relay');
	const keys = [...new Set(rows.map((f) => `${f.conditions.db}|${f.conditions.streams}`))];
	const get = (key: string, name: string) => rows.find((f) => `${f.conditions.db}|${f.conditions.streams}` === key && f.name === name);
	const fmt = (key: string, name: string, digits = 1) => {
		const f = get(key, name);
		if (!f) return '';
		const v = Number.isFinite(f.value) ? f.value.toFixed(digits) : String(f.value);
		return f.met === false ? `${v}!` : v;
	};
	const header = ['db', 'streams', 'streaming d/app', 'throughput d/app', 'TTFT direct p50/p99', 'TTFT app p50/p99', 'added p50/p99', 'rate ratio (p1)', 'gap p99 d/app', 'RSS idle/peak', 'CPU app/up/client'];
	const lines = keys.map((k) => {
		const [db, n] = k.split('|');
		return [
			db!,
			n!,
			`${fmt(k, 'direct_streaming', 0)} / ${fmt(k, 'app_streaming', 0)}`,
			`${fmt(k, 'direct_throughput', 0)} / ${fmt(k, 'app_throughput', 0)} tok/s`,
			`${fmt(k, 'direct_ttft_p50')} / ${fmt(k, 'direct_ttft_p99')} ms`,
			`${fmt(k, 'app_ttft_p50')} / ${fmt(k, 'app_ttft_p99')} ms`,
			`${fmt(k, 'added_ttft_p50')} / ${fmt(k, 'added_ttft_p99')} ms`,
			`${fmt(k, 'rate_ratio', 3)} (${fmt(k, 'rate_ratio_p1', 3)})`,
			`${fmt(k, 'direct_token_gap_p99')} / ${fmt(k, 'app_token_gap_p99')} ms`,
			`${fmt(k, 'server_rss_idle', 0)} / ${fmt(k, 'server_rss_peak', 0)} MB`,
			`${fmt(k, 'server_cpu', 0)} / ${fmt(k, 'upstream_cpu_app', 0)} / ${fmt(k, 'client_cpu_app', 0)} %`
		];
	});
	const all = [header, ...lines];
	const w = header.map((_, i) => Math.max(...all.map((l) => l[i]!.length)) + 2);
	const m = machine();
	const out = [
		'',
		`== relay: ${TOKENS} tokens at ${TPS} tokens/s, upstream TTFT ${TTFT} ms; ${m.cores} cores (${m.cpu}), Node ${m.node} ==`,
		'   app, fake upstream and load client are 3 processes sharing these cores. "streaming" = streams delivering tokens at once',
		'   (on average, steady state), "throughput" = tokens/s delivered to all users together: an app that falls behind makes',
		'   its users wait for their first token, so fewer streams deliver at once. "!" marks a missed target',
		...all.map((l) => '   ' + l.map((c, i) => c.padEnd(w[i]!)).join('').trimEnd())
	];
	const targets = rows.filter((f) => f.met !== undefined);
	const missed = targets.filter((f) => !f.met);
	out.push(
		`   targets: ${targets.length - missed.length}/${targets.length} met` +
			(missed.length ? ` — missed: ${missed.map((f) => `${f.name}=${f.value} (${f.target}, ${f.conditions.streams} streams, ${f.conditions.db})`).join('; ')}` : '')
	);
	process.stdout.write(out.join('\n') + '\n');
}

const upstream = await startUpstream({ tokens: TOKENS, tps: TPS, ttft: TTFT });
try {
	for (const db of DBS) for (const n of LEVELS) await level(n, db, upstream);
} finally {
	await upstream.stop();
}
humanSummary();
process.exit(0);
