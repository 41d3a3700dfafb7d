import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { DEFAULT_ARGON2 } from '../../src/config.js';
import { PolicyViolation } from '../../src/errors.js';
import { parseArgon2Hash } from '../../src/passwords/argon2id.js';
import { createPasswordHasher, normalisePassword } from '../../src/passwords/hasher.js';

interface FixtureRow {
  readonly scheme: string;
  readonly password: string;
  readonly hash: string;
  readonly must_fail?: boolean;
}

// Real hashes made by passlib / bcrypt / argon2-cffi (copied verbatim from the shared fixtures).
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/password-hashes.json', import.meta.url), 'utf8'),
) as { rows: readonly FixtureRow[] };

const hasher = createPasswordHasher(DEFAULT_ARGON2);

async function elapsed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await elapsed(work));
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)] ?? Number.NaN;
}

describe('imported fixture hashes', () => {
  assert.ok(fixture.rows.length >= 10, 'fixture has its rows');

  for (const row of fixture.rows) {
    const expectOk = row.must_fail !== true;
    it(`${expectOk ? 'accepts' : 'refuses'}: ${row.scheme}`, async () => {
      assert.equal(hasher.isRecognisedHash(row.hash), true);
      const check = await hasher.verify(row.hash, row.password);
      assert.equal(check.ok, expectOk);
      // Legacy bcrypt formats are always replaced; the argon2id rows (m=102400,t=2,p=8) already
      // meet m=19456,t=2, so they stay. A refused check never asks for a rehash.
      const expectRehash = expectOk && !row.hash.startsWith('$argon2id$');
      assert.equal(check.needsRehash, expectRehash);
    });
  }

  it('really has an NFD row that differs from the NFC row byte for byte', () => {
    const nfd = fixture.rows.find((row) => row.scheme.startsWith('NFD'));
    assert.ok(nfd);
    assert.notEqual(nfd.password, nfd.password.normalize('NFC'));
    assert.equal(normalisePassword(nfd.password), nfd.password.normalize('NFC'));
  });

  it('refuses wrong passwords against every fixture hash', async () => {
    for (const row of fixture.rows) {
      const check = await hasher.verify(row.hash, `${row.password}!`);
      assert.deepEqual({ ...check }, { ok: false, needsRehash: false }, row.scheme);
    }
  });

  it('asks for a rehash of the argon2id fixture when the configured cost is higher', async () => {
    const row = fixture.rows.find((r) => r.hash.startsWith('$argon2id$') && r.must_fail !== true);
    assert.ok(row);
    const slower = createPasswordHasher({ ...DEFAULT_ARGON2, timeCost: 3 });
    assert.deepEqual({ ...(await slower.verify(row.hash, row.password)) }, { ok: true, needsRehash: true });
    const bigger = createPasswordHasher({ ...DEFAULT_ARGON2, memoryCost: 204_800 });
    assert.deepEqual({ ...(await bigger.verify(row.hash, row.password)) }, { ok: true, needsRehash: true });
  });
});

describe('parseArgon2Hash', () => {
  const b64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');
  const phc = (i: number): string => {
    const salt = Buffer.alloc(16);
    salt.writeUInt32BE(i);
    return `$argon2id$v=19$m=19456,t=2,p=1$${b64(salt)}$${b64(Buffer.alloc(32, 7))}`;
  };

  it('gives the same frozen answer for a string read again, and the same refusal', () => {
    const first = parseArgon2Hash(phc(1));
    assert.ok(first);
    assert.equal(parseArgon2Hash(phc(1)), first, 'a second read is the first answer');
    assert.ok(Object.isFrozen(first));
    assert.throws(() => ((first as { memoryCost: number }).memoryCost = 8), TypeError);
    const refused = phc(2).replace('m=19456', 'm=4294967295');
    assert.equal(parseArgon2Hash(refused), undefined);
    assert.equal(parseArgon2Hash(refused), undefined);
  });

  it('keeps a bounded number of answers', () => {
    const first = parseArgon2Hash(phc(3));
    for (let i = 4; i < 4 + 300; i++) assert.ok(parseArgon2Hash(phc(i)));
    const again = parseArgon2Hash(phc(3));
    assert.deepEqual(again, first);
    assert.notEqual(again, first, 'the oldest answers were let go');
  });
});

describe('hash', () => {
  it('makes argon2id v=19 hashes with at least the configured parameters, which verify', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    assert.match(stored, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    const info = parseArgon2Hash(stored);
    assert.ok(info);
    assert.equal(info.type, 'argon2id');
    assert.ok(info.memoryCost >= 19_456 && info.timeCost >= 2 && info.parallelism >= 1);
    assert.deepEqual(
      { m: info.memoryCost, t: info.timeCost, p: info.parallelism },
      { m: DEFAULT_ARGON2.memoryCost, t: DEFAULT_ARGON2.timeCost, p: DEFAULT_ARGON2.parallelism },
    );
    assert.deepEqual({ ...(await hasher.verify(stored, 'correct horse battery staple')) }, { ok: true, needsRehash: false });
    assert.equal((await hasher.verify(stored, 'correct horse battery stapler')).ok, false);
    assert.equal((await hasher.verify(stored, 'Correct horse battery staple')).ok, false);
    assert.equal((await hasher.verify(stored, '')).ok, false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
    assert.notEqual(a, b);
  });

  it('uses the configured parameters', async () => {
    const custom = createPasswordHasher({ memoryCost: 32_768, timeCost: 3, parallelism: 2 });
    const stored = await custom.hash('correct horse battery staple');
    assert.match(stored, /^\$argon2id\$v=19\$m=32768,t=3,p=2\$/);
    assert.equal((await custom.verify(stored, 'correct horse battery staple')).ok, true);
  });

  it('normalises to NFC, so either spelling verifies against either', async () => {
    const nfc = 'Caf\u00e9-cr\u00e8me-\uAC00';
    const nfd = nfc.normalize('NFD');
    assert.notEqual(nfc, nfd);
    const fromNfd = await hasher.hash(nfd);
    assert.equal((await hasher.verify(fromNfd, nfc)).ok, true);
    assert.equal((await hasher.verify(fromNfd, nfd)).ok, true);
  });

  it('refuses to hash what could never verify', async () => {
    await assert.rejects(hasher.hash('lone \uD800 surrogate'), PolicyViolation);
    await assert.rejects(hasher.hash('x'.repeat(5000)), PolicyViolation);
  });

  it('keeps the event loop responsive while 4 hashes are in flight', async () => {
    // Heavier than the default so the hashes clearly outlast a few timer turns.
    const heavy = createPasswordHasher({ memoryCost: 65_536, timeCost: 3, parallelism: 1 });
    let settled = 0;
    const inFlight = [1, 2, 3, 4].map((i) =>
      heavy.hash(`password number ${i}`).then((h) => {
        settled++;
        return h;
      }),
    );
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      // A synchronous hash would finish (and settle through microtasks) before setImmediate runs.
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(settled, 0, 'setImmediate ran while every hash was still computing');
      const hashes = await Promise.all(inFlight);
      assert.equal(new Set(hashes).size, 4);
      assert.ok(ticks >= 2, `the 1 ms timer fired ${ticks} times during the hashes`);
    } finally {
      clearInterval(timer);
    }
  });
});

describe('verify never throws', () => {
  const malformed: readonly unknown[] = [
    '',
    'secret', // a plaintext "hash" must not match the same plaintext
    'x'.repeat(10_000),
    '$argon2id$',
    '$argon2id$v=19$m=19456,t=2,p=1$',
    '$argon2id$v=19$m=1,t=1,p=1$aaaa$bbbb', // m below 8·p, output too short
    '$argon2id$v=18$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAA',
    '$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAA', // 4 TiB: refused, not allocated
    '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAA*AAAAAAAAAAAAAAAAA',
    '$argon2x$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAA',
    '$2b$10$abc',
    '$2b$99$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW',
    '$2x$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW',
    '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW\n',
    '$bcrypt-sha256$v=3,t=2b,r=10$pbpWgfOujUPWID5A5Ge...$GgpycmJ2ZW9diOEPQ.kCYdtGAoov1P.',
    '$bcrypt-sha256$v=2,t=2b,r=10$pbpWgfOujUPWID5A5Ge...',
    '$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$1t8iyB2A.WF/Z5JZv.lfCIhXXN33N23OSgQYThBYRfk',
    '$1$saltsalt$qjXMvbEw8oaL.CzflDugX/',
    null,
    undefined,
    42,
    { toString: () => '$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW' },
  ];

  it('gives ok:false for malformed, unknown or non-string hashes', async () => {
    for (const stored of malformed) {
      const check = await hasher.verify(stored as string, 'secret');
      assert.deepEqual({ ...check }, { ok: false, needsRehash: false }, JSON.stringify(stored));
      assert.equal(hasher.isRecognisedHash(stored as string), false, JSON.stringify(stored));
    }
  });

  it('gives ok:false for odd passwords', async () => {
    const stored = await hasher.hash('pass\uFFFDword');
    for (const password of [undefined, null, 7, 'pass\uD800word', 'x'.repeat(1_000_000)]) {
      const check = await hasher.verify(stored, password as string);
      assert.deepEqual({ ...check }, { ok: false, needsRehash: false }, String(password).slice(0, 20));
    }
    // The lone surrogate would otherwise be encoded as U+FFFD and match this hash.
    assert.equal((await hasher.verify(stored, 'pass\uFFFDword')).ok, true);
  });
});

describe('verifyDummy', () => {
  it('does the work of a real argon2id verify', async () => {
    const timed = createPasswordHasher(DEFAULT_ARGON2);
    const stored = await timed.hash('the real password');
    await timed.verifyDummy('warm-up'); // the first call also makes the dummy hash

    const real = await medianMs(5, () => timed.verify(stored, 'a wrong password'));
    const dummy = await medianMs(5, () => timed.verifyDummy('a wrong password'));
    // m=19 MiB, t=2 cannot be computed in under ~2 ms: an instant dummy did no argon2 work.
    assert.ok(real > 2, `real verify took ${real.toFixed(1)} ms`);
    assert.ok(dummy >= 0.2 * real, `dummy ${dummy.toFixed(1)} ms vs real ${real.toFixed(1)} ms`);
    assert.ok(dummy <= 5 * real, `dummy ${dummy.toFixed(1)} ms vs real ${real.toFixed(1)} ms`);
  });

  it('never throws, whatever the input', async () => {
    for (const password of ['', 'x'.repeat(100_000), 'lone \uDC00', undefined as unknown as string]) {
      await timedDummy(password);
    }
    async function timedDummy(password: string): Promise<void> {
      const ms = await elapsed(() => hasher.verifyDummy(password));
      assert.ok(ms > 1, `verifyDummy(${String(password).slice(0, 10)}) still did argon2 work (${ms.toFixed(1)} ms)`);
    }
  });

  it('also spends argon2 time on an unknown hash format', async () => {
    await hasher.verifyDummy('warm-up');
    const ms = await medianMs(3, () => hasher.verify('not a hash', 'some password'));
    assert.ok(ms > 1, `${ms.toFixed(1)} ms`);
  });
});
