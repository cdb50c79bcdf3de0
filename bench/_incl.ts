import fs from 'node:fs';
const p = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const incl = new Map<string, number>();
let total = 0;
const key = (cf: any) => process.argv[3] === 'fn' ? `${cf.functionName || '(anon)'} ${cf.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/\/tmp\/snap\//, '')}:${cf.lineNumber + 1}` : (/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(cf.url)?.[1] ?? (cf.url.replace(/^file:\/\/\/tmp\/snap\//, '') || cf.functionName));
p.samples.forEach((id: number, i: number) => {
  const dt = p.timeDeltas[i] ?? 0; total += dt;
  const seen = new Set<string>();
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
    const k = key(byId.get(n).callFrame); if (seen.has(k)) continue; seen.add(k); incl.set(k, (incl.get(k) ?? 0) + dt);
  }
});
for (const [k, v] of [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.argv[4] ?? 40))) console.log(((v / total) * 100).toFixed(1).padStart(6) + '%  ' + k);
