import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { hash as nodeRsHash, verify as nodeRsVerify } from '@node-rs/argon2';
import { loadNativeArgon2, type NativeArgon2 } from '../../src/passwords/argon2-native.js';
import { createArgon2Scheme } from '../../src/passwords/argon2id.js';
import { HashQueue } from '../../src/passwords/hash-queue.js';
import { createPasswordHasher } from '../../src/passwords/hasher.js';

// Small costs: these tests check what is computed, not how fast.
const PARAMS = { memoryCost: 4096, timeCost: 2, parallelism: 1 };
const PASSWORD = Buffer.from('correct horse battery staple');
const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/gatehouse_argon2.node', import.meta.url));

function addon(): NativeArgon2 {
  const load = loadNativeArgon2();
  assert.ok(load.addon, `the argon2 addon in native/ is ${'reason' in load ? load.reason : 'missing'}: npm run build:native`);
  return load.addon;
}

describe('native argon2 addon', () => {
  it('loads, with an instruction set picked for this CPU', () => {
    assert.match(addon().instructionSet(), /^(avx512f|avx2|sse2|portable)$/);
  });

  it('computes what @node-rs/argon2 computes, for every type and both versions', async () => {
    const salt = randomBytes(16);
    for (const [algorithm, type] of [
      [0, 0],
      [1, 1],
      [2, 2],
    ] as const) {
      for (const [version, number] of [
        [0, 16],
        [1, 19],
      ] as const) {
        const phc = await nodeRsHash(PASSWORD, { ...PARAMS, algorithm, version, salt, outputLen: 24 });
        const expected = Buffer.from(phc.split('$').at(-1)!, 'base64');
        const raw = await addon().hashRaw(PASSWORD, salt, PARAMS.timeCost, PARAMS.memoryCost, PARAMS.parallelism, type, number, 24);
        assert.deepEqual(raw, expected, `type ${type}, version ${number}`);
      }
    }
  });

  it('computes the same with each instruction set it was built for', async () => {
    const native = addon();
    const salt = randomBytes(16);
    const phc = await nodeRsHash(PASSWORD, { ...PARAMS, algorithm: 2, salt });
    const expected = Buffer.from(phc.split('$').at(-1)!, 'base64');
    const used = new Set<string>();
    try {
      for (const cap of ['avx512f', 'avx2', 'sse2'] as const) {
        const set = native.useInstructionSet(cap);
        assert.equal(native.instructionSet(), set);
        const raw = await native.hashRaw(PASSWORD, salt, PARAMS.timeCost, PARAMS.memoryCost, PARAMS.parallelism, 2, 19, 32);
        assert.deepEqual(raw, expected, `${set} (at most ${cap})`);
        used.add(set);
      }
    } finally {
      native.useInstructionSet('avx512f');
    }
    // sse2 is on every x64 CPU; the wider ones where this CPU has them (Linux lists them).
    if (process.arch === 'x64') {
      const flags = existsSync('/proc/cpuinfo') ? (/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').split(' ') : [];
      const expected = ['sse2', ...['avx2', 'avx512f'].filter((set) => flags.includes(set))];
      assert.deepEqual([...used].sort(), expected.sort());
    }
    assert.throws(() => (native.useInstructionSet as (cap: string) => string)('avx1024'), TypeError);
  });

  it('computes lanes in parallel as the reference does (p=4)', async () => {
    const salt = randomBytes(16);
    const phc = await nodeRsHash(PASSWORD, { memoryCost: 8192, timeCost: 1, parallelism: 4, algorithm: 2, salt });
    const raw = await addon().hashRaw(PASSWORD, salt, 1, 8192, 4, 2, 19, 32);
    assert.equal(raw.toString('base64').replace(/=+$/, ''), phc.split('$').at(-1));
  });

  it('gives the same answer to hashes run at once, and keeps their memory for the next until trimmed', async () => {
    const native = addon();
    native.trim();
    const salt = randomBytes(16);
    const [first, ...rest] = await Promise.all(
      Array.from({ length: 6 }, () => native.hashRaw(PASSWORD, salt, PARAMS.timeCost, PARAMS.memoryCost, PARAMS.parallelism, 2, 19, 32)),
    );
    for (const raw of rest) assert.deepEqual(raw, first);
    const idle = native.idleBuffers();
    assert.ok(idle >= 1 && idle <= 6, `idle buffers after 6 hashes: ${idle}`);
    // The next hash takes a kept buffer instead of mapping a new one.
    await native.hashRaw(PASSWORD, salt, PARAMS.timeCost, PARAMS.memoryCost, PARAMS.parallelism, 2, 19, 32);
    assert.equal(native.idleBuffers(), idle);
    assert.equal(native.trim(), idle);
    assert.equal(native.idleBuffers(), 0);
  });

  it('hashes on as many threads as it is given, each going on to the next queued hash', { timeout: 60_000 }, async () => {
    const native = addon();
    native.trim();
    const salt = randomBytes(16);
    const passwords = Array.from({ length: 5 }, (_, i) => Buffer.from(`password ${i}`));
    const expected = await Promise.all(
      passwords.map(async (password) => (await nodeRsHash(password, { ...PARAMS, algorithm: 2, salt })).split('$').at(-1)),
    );
    try {
      assert.equal(native.setHashThreads(1), 1);
      const raws = await Promise.all(passwords.map((password) => native.hashRaw(password, salt, PARAMS.timeCost, PARAMS.memoryCost, PARAMS.parallelism, 2, 19, 32)));
      assert.deepEqual(
        raws.map((raw) => raw.toString('base64').replace(/=+$/, '')),
        expected,
      );
      // One thread, one hash at a time: the five shared one buffer.
      assert.equal(native.idleBuffers(), 1);
    } finally {
      native.setHashThreads(0);
      native.trim();
    }
  });

  it('rejects a queued hash that argon2 refuses and goes on with the ones behind it', { timeout: 60_000 }, async () => {
    const native = addon();
    const salt = randomBytes(16);
    const hash = (memoryCost: number, saltBytes = salt) => native.hashRaw(PASSWORD, saltBytes, PARAMS.timeCost, memoryCost, PARAMS.parallelism, 2, 19, 32);
    try {
      native.setHashThreads(1);
      const results = await Promise.allSettled([hash(4), hash(PARAMS.memoryCost), hash(PARAMS.memoryCost, randomBytes(4)), hash(PARAMS.memoryCost)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
      );
      assert.match(String((results[0] as PromiseRejectedResult).reason), /Memory cost is too small/);
      assert.match(String((results[2] as PromiseRejectedResult).reason), /Salt is too short/);
      assert.deepEqual((results[1] as PromiseFulfilledResult<Buffer>).value, (results[3] as PromiseFulfilledResult<Buffer>).value);
    } finally {
      native.setHashThreads(0);
    }
  });

  it('takes a thread count from 0 to 1024, and refuses anything else with a TypeError', () => {
    const native = addon();
    const setHashThreads = native.setHashThreads as unknown as (...args: unknown[]) => number;
    try {
      assert.equal(setHashThreads(1024), 1024);
      for (const bad of [-1, 1025, 'two', undefined]) assert.throws(() => setHashThreads(bad), TypeError, String(bad));
      assert.throws(() => setHashThreads(), TypeError);
    } finally {
      native.setHashThreads(0);
    }
  });

  it('keeps a process alive until its queued hashes are answered, and lets it exit or end a worker mid-hash', () => {
    const run = (source: string) => spawnSync(process.execPath, ['-e', source], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ADDON_PATH } });
    // Nothing but the hashes holds the event loop open.
    const waits = run(`const a = require(process.env.ADDON_PATH); a.setHashThreads(1);
      Promise.all([1, 2, 3].map((i) => a.hashRaw(Buffer.from('p' + i), Buffer.alloc(16, i), 2, 4096, 1, 2, 19, 32)))
        .then((raws) => console.log(raws.length, new Set(raws.map((r) => r.toString('hex'))).size));`);
    assert.equal(waits.status, 0, waits.stderr);
    assert.equal(waits.stdout.trim(), '3 3');
    // process.exit while one hash runs and more wait: ends with its own code, no crash.
    const exits = run(`const a = require(process.env.ADDON_PATH); a.setHashThreads(1);
      for (let i = 0; i < 4; i++) a.hashRaw(Buffer.from('p'), Buffer.alloc(16), 3, 65536, 1, 2, 19, 32);
      setTimeout(() => process.exit(7), 20);`);
    assert.equal(exits.signal, null, exits.stderr);
    assert.equal(exits.status, 7, exits.stderr);
    // A worker ended while its hashes run and wait; the addon then still hashes for the main thread.
    const worker = run(`const { Worker } = require('node:worker_threads');
      const w = new Worker(\`const a = require(process.env.ADDON_PATH); a.setHashThreads(1);
        for (let i = 0; i < 4; i++) a.hashRaw(Buffer.from('p'), Buffer.alloc(16), 3, 65536, 1, 2, 19, 32);
        require('node:worker_threads').parentPort.postMessage('queued');\`, { eval: true });
      w.once('message', async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await w.terminate();
        const a = require(process.env.ADDON_PATH);
        a.setHashThreads(1);
        const raw = await a.hashRaw(Buffer.from('p'), Buffer.alloc(16), 2, 4096, 1, 2, 19, 32);
        console.log('after', raw.length);
      });`);
    assert.equal(worker.signal, null, worker.stderr);
    assert.equal(worker.status, 0, worker.stderr);
    assert.equal(worker.stdout.trim(), 'after 32');
  });

  it('refuses arguments it cannot take with a TypeError, and rejects what argon2 refuses', async () => {
    const native = addon();
    const hashRaw = native.hashRaw as unknown as (...args: unknown[]) => Promise<Buffer>;
    assert.throws(() => hashRaw('text', randomBytes(16), 2, 4096, 1, 2, 19, 32), TypeError);
    assert.throws(() => hashRaw(PASSWORD, randomBytes(65), 2, 4096, 1, 2, 19, 32), TypeError);
    assert.throws(() => hashRaw(PASSWORD, randomBytes(16), 2, 4096, 1, 3, 19, 32), TypeError);
    assert.throws(() => hashRaw(PASSWORD, randomBytes(16), 2, 4096, 1, 2, 18, 32), TypeError);
    assert.throws(() => hashRaw(PASSWORD, randomBytes(16), 2, 4096, 1, 2, 19), TypeError);
    await assert.rejects(native.hashRaw(PASSWORD, randomBytes(4), 2, 4096, 1, 2, 19, 32), /Salt is too short/);
    await assert.rejects(native.hashRaw(PASSWORD, randomBytes(16), 2, 4, 1, 2, 19, 32), /Memory cost is too small/);
  });
});

describe('argon2 scheme on the native addon', () => {
  const native = createArgon2Scheme(PARAMS, addon());
  const fallback = createArgon2Scheme(PARAMS, undefined);

  it('writes PHC strings that @node-rs/argon2 verifies, and verifies its strings', async () => {
    const mine = await native.hash(PASSWORD);
    assert.match(mine, /^\$argon2id\$v=19\$m=4096,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await nodeRsVerify(mine, PASSWORD), true);
    assert.equal(await fallback.verify(mine, PASSWORD), true);
    const theirs = await fallback.hash(PASSWORD);
    assert.equal(await native.verify(theirs, PASSWORD), true);
    assert.equal(await native.verify(theirs, Buffer.from('wrong')), false);
    assert.equal(await native.verify(mine, Buffer.from('correct horse battery stapl')), false);
  });

  it('refuses a stored hash with one bit changed, and an unreadable one', async () => {
    const stored = await native.hash(PASSWORD);
    const last = stored.at(-1) === 'A' ? 'B' : 'A';
    assert.equal(await native.verify(stored.slice(0, -1) + last, PASSWORD), false);
    assert.equal(await native.verify('$argon2id$v=19$m=4096,t=2,p=1$c2FsdA$AAAA', PASSWORD), false);
    assert.equal(await native.verify('not a hash', PASSWORD), false);
  });

  it('verifies hashes with a salt longer than the addon takes, through @node-rs/argon2', async () => {
    const stored = await nodeRsHash(PASSWORD, { ...PARAMS, algorithm: 2, salt: randomBytes(80) });
    assert.equal(await native.verify(stored, PASSWORD), true);
    assert.equal(await native.verify(stored, Buffer.from('wrong')), false);
  });

  it('runs with the instruction set the configuration allows at most', async () => {
    const native = addon();
    try {
      createArgon2Scheme({ ...PARAMS, instructionSet: 'sse2' }, native);
      assert.equal(native.instructionSet(), process.arch === 'x64' ? 'sse2' : 'portable');
      const stored = await createArgon2Scheme({ ...PARAMS, instructionSet: 'sse2' }, native).hash(PASSWORD);
      assert.equal(await nodeRsVerify(stored, PASSWORD), true);
    } finally {
      native.useInstructionSet('avx512f');
    }
  });

  it('gives the working memory back once no hash has run for a while', async () => {
    const addonNow = addon();
    await native.hash(PASSWORD);
    assert.ok(addonNow.idleBuffers() >= 1);
    const deadline = Date.now() + 10_000;
    while (addonNow.idleBuffers() > 0 && Date.now() < deadline) await sleep(100);
    assert.equal(addonNow.idleBuffers(), 0);
  });
});

describe('password hasher on the native addon', () => {
  it('hashes on as many threads as its queue has cores, the rest waiting in the addon', async () => {
    const native = addon();
    native.trim();
    // One core: three handed over at once, one computing.
    const queue = new HashQueue({ concurrency: 3 }, 1, 1);
    assert.equal(queue.threads, 1);
    const hasher = createPasswordHasher(PARAMS, queue);
    try {
      const passwords = ['one', 'two', 'three'].map((word) => `password ${word}`);
      const hashes = await Promise.all(passwords.map((password) => hasher.hash(password)));
      assert.equal(native.idleBuffers(), 1);
      const checks = await Promise.all(hashes.map((stored, i) => hasher.verify(stored, passwords[(i + 1) % 3]!)));
      assert.deepEqual(checks.map((c) => c.ok), [false, false, false]);
      for (const [i, stored] of hashes.entries()) assert.equal((await hasher.verify(stored, passwords[i]!)).ok, true);
    } finally {
      native.setHashThreads(0);
      native.trim();
    }
  });
});
