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
