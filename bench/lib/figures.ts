/**
 * Figures: one JSON object per line on stdout (machine-readable), progress on stderr, and a short
 * human summary at the end of each part.
 *
 *   {"bench":"relay","name":"added_ttft_p50","value":1.8,"unit":"ms","conditions":{…},"target":"<= 5","met":true}
 *
 * `target` and `met` are present only for figures the issue gives a target for. Benchmarks assert
 * nothing: a missed target is reported, never turned into a failure exit code.
 */
import os from 'node:os';

export type Conditions = Record<string, string | number | boolean | null>;

export interface Figure {
	bench: string;
	name: string;
	value: number;
	unit: string;
	conditions: Conditions;
	target?: string;
	met?: boolean;
}

const all: Figure[] = [];

/** `target` is "<= N" or ">= N". */
export function figure(
	bench: string,
	name: string,
	value: number,
	unit: string,
	conditions: Conditions,
	target?: string
): Figure {
	const f: Figure = { bench, name, value: round(value), unit, conditions };
	if (target) {
		f.target = target;
		f.met = meets(f.value, target);
	}
	all.push(f);
	process.stdout.write(JSON.stringify(f) + '\n');
	return f;
}

export function figures(): Figure[] {
	return all;
}

export function meets(value: number, target: string): boolean {
	const m = /^(<=|>=)\s*(-?[\d.]+)$/.exec(target.trim());
	if (!m) return true;
	const bound = Number(m[2]);
	return m[1] === '<=' ? value <= bound : value >= bound;
}

export function round(v: number): number {
	if (!Number.isFinite(v)) return v;
	const a = Math.abs(v);
	const digits = a >= 100 ? 1 : a >= 1 ? 2 : 4;
	const f = 10 ** digits;
	return Math.round(v * f) / f;
}

/** Nearest-rank percentile (p in 0..100) of an unsorted array; NaN when empty. */
export function percentile(values: number[], p: number): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: number[]): number {
	return percentile(values, 50);
}

export function log(message: string): void {
	process.stderr.write(`[bench] ${message}\n`);
}

/** Load average when this part started: other work on the machine skews every figure. */
const LOAD_AT_START = Math.round(os.loadavg()[0]! * 100) / 100;

/** Conditions shared by every figure: the machine the numbers came from. */
export function machine(): Conditions {
	return {
		cores: os.cpus().length,
		cpu: os.cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown',
		node: process.version,
		load1_at_start: LOAD_AT_START
	};
}

/** Parses the common CLI flags of a part: --smoke, and --key value / --key=value pairs. */
export function parseFlags(argv: string[] = process.argv.slice(2)): { smoke: boolean; opts: Record<string, string> } {
	const opts: Record<string, string> = {};
	let smoke = false;
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i]!;
		if (a === '--smoke') smoke = true;
		else if (a.startsWith('--')) {
			const eq = a.indexOf('=');
			if (eq > 0) opts[a.slice(2, eq)] = a.slice(eq + 1);
			else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) opts[a.slice(2)] = argv[++i]!;
			else opts[a.slice(2)] = 'true';
		}
	}
	return { smoke, opts };
}
