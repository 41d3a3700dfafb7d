import { hash, verify } from '@node-rs/argon2';
const opts = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 };
const h = await hash('correct horse battery staple', opts);
for (const conc of [2]) {
  const n = 400; let started = 0, done = 0; const t = performance.now(); const c0 = process.cpuUsage();
  await new Promise((res) => { const go = () => { if (started >= n) return; started++; verify(h, 'correct horse battery staple').then(() => { done++; if (done === n) res(); else go(); }); }; for (let i = 0; i < conc; i++) go(); });
  const c = process.cpuUsage(c0);
  process.stdout.write(`conc ${conc} ${(n / ((performance.now() - t) / 1000)).toFixed(0)}/s cpu ${((c.user + c.system) / 1000 / n).toFixed(2)}ms  `);
}
console.log();
