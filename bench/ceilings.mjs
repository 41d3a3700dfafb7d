// In-process ceilings the servers are held against, measured in the bench process before any
// server starts (idle machine): ES256 verification (node:crypto, P-256, ieee-p1363 signatures)
// and the password hashes behind each login (argon2id for Gatehouse, with the engine it uses; bcrypt
// cost 12 for the peers).
// Gatehouse's two are measured again before and after each of its cold and login rounds
// (run.mjs): on a shared machine the speed of a core drifts, and a ratio is only as good as the
// pairing of its two figures. combineSamples takes their median.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcrypt';
import { median } from './report.mjs';

const cores = os.availableParallelism();

/** A typical access token's ES256 signing input, signature and public key. */
function es256Sample() {
  // Read back from PEM: a KeyObject straight from generateKeyPairSync can deadlock Node 20 when
  // exported to a JWK (see generatePair in src/tokens/signing-keys.ts), as ownKeyCheckMicros does.
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey;
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = Buffer.from(
    `${b64({ alg: 'ES256', typ: 'JWT', kid: 'k1' })}.${b64({ iss: 'http://127.0.0.1:8000', aud: 'http://127.0.0.1:8000', sub: '1', scope: 'me', iat: now, exp: now + 900, jti: 'x'.repeat(22) })}`,
  );
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return { input, signature, publicKey, privateKey };
}

/** Gatehouse's own addon for ES256 checks with the private key (native/es256-own-key.c), if built. */
function ownKeyAddon() {
  try {
    return createRequire(import.meta.url)('../native/build/Release/gatehouse_es256.node');
  } catch {
    return undefined;
  }
}

/**
 * µs per check of the same token the way Gatehouse checks its own ES256 tokens (with the private
 * key, see native/README.md), one thread; undefined when the addon is not built. For reference:
 * the goal's ceiling stays node:crypto's verify.
 */
function ownKeyCheckMicros({ input, signature, privateKey }, seconds) {
  const addon = ownKeyAddon();
  if (!addon) return undefined;
  const handle = addon.loadKey(Buffer.from(privateKey.export({ format: 'jwk' }).d, 'base64url'));
  for (let i = 0; i < 500; i++) addon.verify(handle, input, signature);
  let n = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) if (!addon.verify(handle, input, signature)) throw new Error('ES256 own-key check failed');
    n += 100;
  }
  return ((performance.now() - t0) * 1000) / n;
}

/** Verifies in a tight loop for `seconds` (after 500 to warm up); returns verifies and elapsed ms. Also run inside workers. */
function verifyLoop({ input, signature, publicKey }, seconds) {
  const key = { key: publicKey, dsaEncoding: 'ieee-p1363' };
  for (let i = 0; i < 500; i++) verify('sha256', input, key, signature);
  let n = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) if (!verify('sha256', input, key, signature)) throw new Error('ES256 verify failed');
    n += 100;
  }
  return { n, ms: performance.now() - t0 };
}

/**
 * µs per ES256 verify of a typical access token's signing input, one thread (the other cores
 * idle): the goal's ceiling. Also measured, for reference: verifies/s with every core
 * verifying at once (one worker thread each). Virtual cores that share a physical core, or a
 * host that gives the guest less when all of them run, make that well below cores ÷ µs.
 */
export async function es256VerifyMicros(seconds = 1) {
  const sample = es256Sample();
  const { n, ms } = verifyLoop(sample, seconds);
  const micros = (ms * 1000) / n;
  const ownKeyMicros = ownKeyCheckMicros(sample, seconds / 2);
  const { privateKey: _, ...shared } = sample; // the verify workers need only the public key
  return { micros, ceilingRps: 1e6 / micros, cores, parallelRps: await es256VerifiesAtOnce(shared, cores, seconds), ...(ownKeyMicros ? { ownKeyMicros } : {}) };
}

/** Verifies/s with `threads` worker threads verifying at once, started together. */
async function es256VerifiesAtOnce(sample, threads, seconds) {
  const gate = new Int32Array(new SharedArrayBuffer(8)); // [0]: go, [1]: threads ready
  const source = `const { workerData, parentPort } = require('node:worker_threads');
    const { verify } = require('node:crypto');
    const { sample, seconds, gate } = workerData;
    const loop = ${verifyLoop.toString()};
    Atomics.add(gate, 1, 1);
    Atomics.wait(gate, 0, 0);
    parentPort.postMessage(loop(sample, seconds));`;
  const workers = Array.from({ length: threads }, () => new Worker(source, { eval: true, workerData: { sample, seconds, gate } }));
  let failed = null;
  const results = workers.map(
    (w) =>
      new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', (error) => reject((failed = error)));
        w.once('exit', (code) => code !== 0 && reject((failed ??= new Error(`verify worker exited (${code})`))));
      }),
  );
  // Handled from the start: a worker may fail while the loop below is still waiting for the others.
  for (const r of results) r.catch(() => {});
  try {
    while (Atomics.load(gate, 1) < threads) {
      if (failed) throw failed;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    const done = await Promise.all(results);
    return done.reduce((sum, { n, ms }) => sum + (n * 1000) / ms, 0);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function perCall(fn, { min = 5, seconds = 1.5 } = {}) {
  await fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (n < min || performance.now() - t0 < seconds * 1000) {
    await fn();
    n++;
  }
  return (performance.now() - t0) / 1000 / n;
}

/** `fn` run `concurrency` at a time for `seconds`: completions per second. */
async function perSecondConcurrently(fn, concurrency, seconds) {
  let n = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await fn();
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const PASSWORD = Buffer.from('correct horse battery staple');

/**
 * Gatehouse's own argon2 scheme from dist/ (the addon when it is built, else @node-rs/argon2,
 * as the server decides), hashing on one thread per core as the server does, and the engine's
 * name; @node-rs/argon2 when dist/ is not built.
 */
async function gatehouseArgon2Scheme(params) {
  try {
    const { createArgon2Scheme } = await import('../dist/passwords/argon2id.js');
    const { argon2EngineName } = await import('../dist/passwords/argon2-native.js');
    return { scheme: createArgon2Scheme(params, undefined, cores), engine: argon2EngineName() };
  } catch {
    const options = { memoryCost: params.memoryCost, timeCost: params.timeCost, parallelism: params.parallelism, algorithm: 2 /* Argon2id */ };
    return { scheme: { hash: (password) => argon2Hash(password, options), verify: argon2Verify }, engine: '@node-rs/argon2 (dist/ not built)' };
  }
}

/**
 * Seconds per argon2id verify (one at a time) and the login ceiling cores ÷ that, with the
 * engine and the verify Gatehouse uses. Also measured, for reference: verifies/s with every
 * core hashing at once and one more verify handed over (queued in the addon), as the server
 * runs them. argon2id is memory-hard, so concurrent verifies share the caches and the memory
 * bandwidth, and that figure can be below the ceiling on a machine whose cores are fast next
 * to its memory.
 */
export async function argon2idCeiling(params) {
  const { scheme, engine } = await gatehouseArgon2Scheme(params);
  const hashed = await scheme.hash(PASSWORD);
  const verifyOnce = async () => {
    if (!(await scheme.verify(hashed, PASSWORD))) throw new Error('argon2 verify failed');
  };
  const seconds = await perCall(verifyOnce);
  const parallelRps = await perSecondConcurrently(verifyOnce, cores + 1, 2);
  return { params, engine, msPerVerify: seconds * 1000, cores, ceilingRps: cores / seconds, parallelRps };
}

/** Same for the peers' bcrypt cost 12 (johndoe's hash from the seed). */
export async function bcryptCeiling() {
  const hashed = '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW';
  const seconds = await perCall(async () => {
    if (!(await bcrypt.compare('secret', hashed))) throw new Error('bcrypt compare failed');
  }, { min: 4, seconds: 1 });
  return { cost: 12, msPerVerify: seconds * 1000, cores, ceilingRps: cores / seconds };
}

/**
 * µs for one thread to wake another and be woken back by it (Atomics.wait/notify: a futex each
 * way), for reference: a never-seen token takes that hop to the thread pool and back. On bare
 * metal a few µs; on a virtual machine whose idle cores halt, tens.
 */
export async function wakeRoundTripMicros(trips = 5000) {
  // [0]: ping, [1]: pong, [2]: 1 once the worker runs, 2 to stop it. Each side takes the other's
  // flag with compareExchange, so a wait that returns without it (or a late start) costs a turn
  // of the loop, never a trip out of step; and no wait is unbounded, so a worker that never
  // answers fails the measurement instead of hanging the bench.
  const flags = new Int32Array(new SharedArrayBuffer(12));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { flags } = workerData;
     Atomics.store(flags, 2, 1);
     while (Atomics.load(flags, 2) === 1) {
       if (Atomics.compareExchange(flags, 0, 1, 0) !== 1) {
         Atomics.wait(flags, 0, 0, 1000);
         continue;
       }
       Atomics.store(flags, 1, 1);
       Atomics.notify(flags, 1);
     }`,
    { eval: true, workerData: { flags } },
  );
  let failure = null;
  worker.once('error', (error) => (failure = error));
  try {
    const startBy = performance.now() + 10_000;
    while (Atomics.load(flags, 2) !== 1) {
      if (failure) throw failure;
      if (performance.now() > startBy) throw new Error('the thread wake round trip: the worker did not start within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const trip = () => {
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      const giveUpAt = performance.now() + 5_000;
      while (Atomics.compareExchange(flags, 1, 1, 0) !== 1) {
        if (performance.now() > giveUpAt) throw new Error('the thread wake round trip: the worker did not answer within 5 s');
        Atomics.wait(flags, 1, 0, 1000);
      }
    };
    for (let i = 0; i < 100; i++) trip();
    const t0 = performance.now();
    for (let i = 0; i < trips; i++) trip();
    return { micros: ((performance.now() - t0) * 1000) / trips };
  } finally {
    Atomics.store(flags, 2, 2);
    Atomics.notify(flags, 0);
    await worker.terminate();
  }
}

/** Gatehouse's argon2 settings: its defaults unless GATEHOUSE_ARGON2_* are set for the bench. */
export function gatehouseArgon2Params(env = process.env) {
  return {
    memoryCost: Number(env.GATEHOUSE_ARGON2_MEMORY ?? 19_456),
    timeCost: Number(env.GATEHOUSE_ARGON2_TIME ?? 2),
    parallelism: Number(env.GATEHOUSE_ARGON2_PARALLELISM ?? 1),
    instructionSet: env.GATEHOUSE_ARGON2_ISA ?? 'avx512f',
  };
}

/**
 * Several measurements of one ceiling → one: the median of each figure, the busiest `otherCpu`
 * (so a disturbed sample is reported), and the samples themselves.
 */
export function combineSamples(samples) {
  const [first] = samples;
  const combined = { ...first, samples };
  for (const [name, value] of Object.entries(first)) {
    if (typeof value === 'number') combined[name] = median(samples.map((s) => s[name]));
  }
  combined.otherCpu = Math.max(...samples.map((s) => s.otherCpu ?? 0));
  if ('micros' in first) combined.ceilingRps = 1e6 / combined.micros;
  if ('msPerVerify' in first) combined.ceilingRps = (first.cores * 1000) / combined.msPerVerify;
  return combined;
}
