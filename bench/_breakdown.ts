import { streamText, createUIMessageStreamResponse } from 'ai';
import { startUpstream } from './lib/services';
import { registryFor } from '../tests/helpers/chat';
import { MemoryStreamHub } from '../src/lib/server/streams/hub';

const TPS = Number(process.env.TPS ?? 0), TOK = Number(process.env.TOK ?? 500);
const up = await startUpstream({ tokens: TOK, tps: TPS, ttft: 0 });
if (process.env.ALS) { const { AsyncLocalStorage } = await import('node:async_hooks'); const als = new AsyncLocalStorage(); als.enterWith({ x: 1 }); }
const registry = registryFor(up.url);
const model = registry.languageModel(registry.resolve(null));
const N = Number(process.env.N ?? 20), ROUNDS = Number(process.env.ROUNDS ?? 5);
const body = JSON.stringify({ model: 'small', stream: true, messages: [{ role: 'user', content: 'x' }] });

async function raw() { const r = await fetch(`${up.url}/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }); const rd = r.body!.getReader(); let n = 0; for (;;) { const { done, value } = await rd.read(); if (done) break; n += value.length; } return TOK; }
async function sdk() { const res = streamText({ model, prompt: 'x', maxRetries: 0 }); let n = 0; for await (const p of res.fullStream) if (p.type === 'text-delta') n++; return n; }
const hub = new MemoryStreamHub();
async function sdkHubResponse() {
  const id = crypto.randomUUID(); hub.open(id);
  const sub = await hub.subscribe(id);
  const resp = createUIMessageStreamResponse({ stream: sub! });
  const reading = (async () => { const rd = resp.body!.getReader(); for (;;) { const { done } = await rd.read(); if (done) break; } })();
  const res = streamText({ model, prompt: 'x', maxRetries: 0 });
  let n = 0;
  hub.publish(id, { type: 'start', messageId: id });
  hub.publish(id, { type: 'text-start', id: 't' });
  for await (const p of res.fullStream) if (p.type === 'text-delta') { n++; hub.publish(id, { type: 'text-delta', id: 't', delta: p.text }); }
  hub.publish(id, { type: 'text-end', id: 't' });
  hub.publish(id, { type: 'finish' });
  hub.close(id); await reading; return n;
}
for (const [name, fn] of [['raw fetch+read', raw], ['streamText fullStream', sdk], ['streamText + hub + UI SSE response', sdkHubResponse]] as const) {
  for (let w = 0; w < 2; w++) await Promise.all(Array.from({ length: N }, fn));
  const c0 = process.cpuUsage(); const t0 = performance.now(); let tokens = 0;
  for (let r = 0; r < ROUNDS; r++) tokens += (await Promise.all(Array.from({ length: N }, fn))).reduce((a, b) => a + b, 0);
  const c = process.cpuUsage(c0); const wall = performance.now() - t0;
  console.log(name.padEnd(40), ((c.user + c.system) / tokens).toFixed(1), 'µs CPU/token', (tokens / wall * 1000).toFixed(0), 'tokens/s');
}
await up.stop(); process.exit(0);
