/** Reading V8 CPU profiles (.cpuprofile, from node --cpu-prof or Chromium's Profiler). */

export interface CpuProfile {
	nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
	samples: number[];
	timeDeltas: number[];
}

/** Self time per function and per package, from a V8 CPU profile. */
export function printTopFunctions(profile: CpuProfile, top: number): void {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const self = new Map<number, number>();
	profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
	const total = [...self.values()].reduce((a, b) => a + b, 0);
	const fn = new Map<string, number>();
	const pkg = new Map<string, number>();
	for (const [id, us] of self) {
		const cf = byId.get(id)!.callFrame;
		const where = cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(build|src)\//, '$1/');
		const key = `${cf.functionName || '(anonymous)'}  ${where}:${cf.lineNumber + 1}`;
		fn.set(key, (fn.get(key) ?? 0) + us);
		const p = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(cf.url)?.[1] ?? (cf.url ? (cf.url.startsWith('node:') ? cf.url : 'app') : cf.functionName);
		pkg.set(p, (pkg.get(p) ?? 0) + us);
	}
	const show = (m: Map<string, number>, k: number) =>
		[...m.entries()]
			.sort((a, b) => b[1] - a[1])
			.slice(0, k)
			.map(([name, us]) => `   ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
			.join('\n');
	process.stderr.write(`   self time by package:\n${show(pkg, 12)}\n   self time by function:\n${show(fn, top)}\n`);
}

/**
 * Inclusive time per package (a package counts once per sample, wherever it is on the stack):
 * where the time goes *under* a library, e.g. web streams driven by the AI SDK.
 */
export function printInclusivePackages(profile: CpuProfile, top: number): void {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const parent = new Map<number, number>();
	for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
	const incl = new Map<string, number>();
	let total = 0;
	profile.samples.forEach((id, i) => {
		const dt = profile.timeDeltas[i] ?? 0;
		total += dt;
		const seen = new Set<string>();
		for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
			const cf = byId.get(n)!.callFrame;
			const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(cf.url)?.[1] ?? (cf.url ? (cf.url.startsWith('node:') ? cf.url : 'app') : cf.functionName);
			if (seen.has(key)) continue;
			seen.add(key);
			incl.set(key, (incl.get(key) ?? 0) + dt);
		}
	});
	const rows = [...incl.entries()]
		.filter(([k]) => k !== '(root)')
		.sort((a, b) => b[1] - a[1])
		.slice(0, top)
		.map(([name, us]) => `   ${((us / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
	process.stderr.write(`   inclusive time by package (overlapping):\n${rows.join('\n')}\n`);
}

