/** CPU and memory of a process, read from /proc (Linux). */
import fs from 'node:fs';

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86_64/arm64

export interface CpuSample {
	/** user + system CPU time in ms */
	cpuMs: number;
	/** wall clock (performance.now()) */
	at: number;
}

export function cpuSample(pid: number): CpuSample {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Field 2 (comm) may contain spaces: split after the closing parenthesis.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	// fields[0] is field 3 (state); utime is field 14, stime field 15.
	const utime = Number(fields[11]);
	const stime = Number(fields[12]);
	return { cpuMs: ((utime + stime) * 1000) / CLK_TCK, at: performance.now() };
}

/** CPU use between two samples, in % of one core. */
export function cpuPercent(a: CpuSample, b: CpuSample): number {
	const wall = b.at - a.at;
	return wall > 0 ? ((b.cpuMs - a.cpuMs) / wall) * 100 : 0;
}

function statusKb(pid: number, key: string): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
	return m ? Number(m[1]) : NaN;
}

/** Resident set size now, in MB. */
export function rssMb(pid: number): number {
	return statusKb(pid, 'VmRSS') / 1024;
}

/** Peak resident set size since the process started (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
	return statusKb(pid, 'VmHWM') / 1024;
}

/** Samples RSS every `everyMs` until stopped; returns the peak seen. */
export function rssSampler(pid: number, everyMs = 200): { stop(): { peakMb: number; lastMb: number } } {
	let peak = 0;
	let last = 0;
	const take = () => {
		try {
			last = rssMb(pid);
			if (last > peak) peak = last;
		} catch {
			/* process gone */
		}
	};
	take();
	const timer = setInterval(take, everyMs);
	return {
		stop() {
			clearInterval(timer);
			take();
			return { peakMb: peak, lastMb: last };
		}
	};
}

/** The bench process's own CPU use as a CpuSample (process.cpuUsage is in µs). */
export function selfCpuSample(): CpuSample {
	const u = process.cpuUsage();
	return { cpuMs: (u.user + u.system) / 1000, at: performance.now() };
}
