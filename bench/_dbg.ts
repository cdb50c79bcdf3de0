import net from 'node:net';
import { startUpstream, startApp } from './lib/services';
const port = await new Promise<number>((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
const up = await startUpstream({ tokens: 50, tps: 100, ttft: 20, markdown: true });
const app = await startApp({ upstreamUrl: up.url, db: 'pglite', env: { PORT: String(port), ORIGIN: `http://127.0.0.1:${port}` } });
for (const h of [{}, { origin: app.url }]) {
  const r = await fetch(app.url + '/api/conversations', { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: '{}' });
  console.log(JSON.stringify(h), r.status, (await r.text()).slice(0, 100));
}
await app.stop(); await up.stop(); process.exit(0);
