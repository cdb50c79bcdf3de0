// Preloaded into the app by `relay --profile` (NODE_OPTIONS=--import …; --cpu-prof is not allowed
// there). The first SIGUSR2 starts V8's sampling profiler in-process, the second stops it and
// writes a .cpuprofile into BENCH_PROFILE_DIR, so the profile covers exactly the measured phase.
import fs from 'node:fs';
import path from 'node:path';
import inspector from 'node:inspector';

const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
	const session = new inspector.Session();
	session.connect();
	let running = false;
	process.on('SIGUSR2', () => {
		if (!running) {
			session.post('Profiler.enable', () =>
				session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start', () => (running = true)))
			);
			return;
		}
		session.post('Profiler.stop', (err, result) => {
			running = false;
			if (!err) fs.writeFileSync(path.join(dir, `app-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(result.profile));
		});
	});
}
