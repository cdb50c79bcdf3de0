const url = process.argv[2]; const n = 500;
const t0 = performance.now();
await Promise.all(Array.from({ length: n }, async () => {
  const res = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
  const reader = res.body!.getReader(); while (!(await reader.read()).done) {}
}));
console.log(`raw n=${n} 100 tokens @50tps`, Math.round(performance.now() - t0), 'ms');
