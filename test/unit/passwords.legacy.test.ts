import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { hash as argon2Hash } from '@node-rs/argon2';
import bcrypt from 'bcrypt';

const bcryptHash = (password: string | Buffer, cost: number): Promise<string> => bcrypt.hash(password, cost);
import { DEFAULT_ARGON2 } from '../../src/config.js';
import { BCRYPT_MAX_COST, bcryptScheme } from '../../src/passwords/bcrypt-legacy.js';
import { createPasswordHasher } from '../../src/passwords/hasher.js';

const hasher = createPasswordHasher(DEFAULT_ARGON2);

/**
 * More passlib vectors, made with Debian python3-passlib 1.7.4 / python3-bcrypt 3.2.2 at
 * rounds=4 (fast), e.g. `bcrypt_sha256.using(version=1, rounds=4, ident="2a").hash(pw)`.
 */
const PASSLIB = {
  sha256v1b: {
    password: 'Correct-Horse-v1-2b',
    hash: '$bcrypt-sha256$2b,4$VIRI0Pgvtiiv0U3kiG8y4O$T0SWP8lwprzi7rR1Ops1Bm/mci180/y',
  },
  sha256v1a: {
    password: 'Correct-Horse-v1-2a',
    hash: '$bcrypt-sha256$2a,4$dRb6w.DsT/segQ//NJ3/SO$JQOUqh1Xja9bmc8Z7hXk7hp4KEstniy',
  },
  sha256Long: {
    password: `${'L'.repeat(80)}-tail-one`,
    hash: '$bcrypt-sha256$v=2,t=2b,r=4$LUfVYiZPfitGiOMt4qBo7e$D/GfIVAQKEj0FrAWbsXIPLrw7I22VSC',
  },
  sha256Unicode: {
    password: 'P\u00e4ssw\u00f6rd-\u00f1-\u20ac-\u{1D11E}',
    hash: '$bcrypt-sha256$v=2,t=2b,r=4$Tll/pdpyjklvJDSsw3CBse$2K5Gf8atwccHtXagu0A9bJrsRliHO2O',
  },
  sha256Nul: {
    password: 'nul\u0000inside',
    hash: '$bcrypt-sha256$v=2,t=2b,r=4$93c77hDU460Z.5alI33RU.$3GUXEkNBMRE.Yk/wdus8x5wh1RlGtRi',
  },
  bcrypt72: { password: 'x'.repeat(72), hash: '$2b$04$.SZwW7g1FATJSOokel6mv.w8Ut9iww01Z9aKPmDB2GvENkyJ2MXU2' },
  bcryptE36: { password: '\u00e9'.repeat(36), hash: '$2b$04$TCUZdSORwnQmboqsnMz4IuDD4zfdTxXqbvlVdlwCv9qqFg/D0d/ZC' },
} as const;

async function ok(stored: string, password: string): Promise<boolean> {
  return (await hasher.verify(stored, password)).ok;
}

describe('passlib bcrypt_sha256', () => {
  it('verifies v1 hashes ($2b$ and $2a$), and asks for a rehash', async () => {
    for (const { hash, password } of [PASSLIB.sha256v1b, PASSLIB.sha256v1a]) {
      assert.deepEqual({ ...(await hasher.verify(hash, password)) }, { ok: true, needsRehash: true });
      assert.equal(await ok(hash, `${password}x`), false);
    }
  });

  it('has no 72-byte limit: the whole password counts', async () => {
    const { hash, password } = PASSLIB.sha256Long;
    assert.ok(Buffer.byteLength(password) > 72);
    assert.equal(await ok(hash, password), true);
    assert.equal(await ok(hash, `${'L'.repeat(80)}-tail-two`), false);
  });

  it('hashes the UTF-8 of the password, astral characters included', async () => {
    const { hash, password } = PASSLIB.sha256Unicode;
    assert.equal(await ok(hash, password), true);
    assert.equal(await ok(hash, password.normalize('NFD')), true);
  });

  it('accepts NUL in the password, as passlib does for this scheme', async () => {
    assert.equal(await ok(PASSLIB.sha256Nul.hash, PASSLIB.sha256Nul.password), true);
    assert.equal(await ok(PASSLIB.sha256Nul.hash, 'nul'), false);
  });

  it('does not treat the inner bcrypt hash as a plain bcrypt hash of the password', async () => {
    // The same salt and digest under a $2b$ prefix are a bcrypt hash of the HMAC key, not of the password.
    const { hash, password } = PASSLIB.sha256Unicode; // short enough for plain bcrypt
    const inner = `$2b$04$${hash.split('$')[3] ?? ''}${hash.split('$')[4] ?? ''}`;
    assert.equal(hasher.isRecognisedHash(inner), true);
    assert.equal(await ok(inner, password), false);
  });

  it('refuses what passlib itself refuses', () => {
    const { hash } = PASSLIB.sha256Unicode;
    assert.equal(hasher.isRecognisedHash(hash.replace('r=4', 'r=04')), false); // zero-padded rounds
    assert.equal(hasher.isRecognisedHash(hash.replace('t=2b', 't=2a')), false); // v2 is 2b only
    assert.equal(hasher.isRecognisedHash(hash.replace('v=2', 'v=1')), false);
    // A v2 salt whose last character has the unused bits set (passlib: "invalid salt string").
    const salt = hash.split('$')[3] ?? '';
    assert.equal(hasher.isRecognisedHash(hash.replace(salt, `${salt.slice(0, 21)}f`)), false);
  });
});

describe('plain bcrypt', () => {
  it('accepts exactly 72 bytes, counted after NFC', async () => {
    assert.equal(await ok(PASSLIB.bcrypt72.hash, PASSLIB.bcrypt72.password), true);
    const { hash, password } = PASSLIB.bcryptE36; // 36 × U+00E9 = 72 bytes
    assert.equal(await ok(hash, password), true);
    const nfd = password.normalize('NFD'); // 108 bytes as typed, 72 after NFC
    assert.equal(Buffer.byteLength(nfd), 108);
    assert.equal(await ok(hash, nfd), true);
  });

  it('refuses 73 bytes even where bcrypt itself would say yes', async () => {
    const password = 'y'.repeat(73);
    const stored = await bcryptHash(password, 4);
    assert.equal(await ok(stored, password), false);
    assert.equal(await ok(stored, 'y'.repeat(72)), true); // bcrypt only ever saw these 72
  });

  it('refuses NUL, which C bcrypt implementations and passlib never hashed', async () => {
    const stored = await bcryptHash(Buffer.from('abc\u0000def'), 4);
    assert.equal(await ok(stored, 'abc\u0000def'), false);
  });

  it('spends bcrypt time when refusing an over-long password', async () => {
    const stored = await bcryptHash('z'.repeat(80), 10);
    const time = async (password: string): Promise<number> => {
      const start = performance.now();
      assert.equal(await ok(stored, password), false);
      return performance.now() - start;
    };
    await time('warm-up');
    const wrong = await time('a short wrong password');
    const refused = await time('z'.repeat(80));
    assert.ok(wrong > 5, `cost-10 bcrypt took ${wrong.toFixed(1)} ms`);
    assert.ok(refused >= 0.2 * wrong, `refused ${refused.toFixed(1)} ms vs wrong ${wrong.toFixed(1)} ms`);
  });

  it('caps the cost a stored hash may ask for', async () => {
    const stored = await bcryptHash('cost check', 4);
    const withCost = (cost: number): string => stored.replace('$04$', `$${String(cost).padStart(2, '0')}$`);
    assert.equal(bcryptScheme.recognises(withCost(BCRYPT_MAX_COST)), true);
    assert.equal(hasher.isRecognisedHash(withCost(BCRYPT_MAX_COST + 1)), false);
    assert.equal(hasher.isRecognisedHash(withCost(31)), false);
    assert.equal(hasher.isRecognisedHash(withCost(3)), false);
  });
});

describe('argon2 needsRehash', () => {
  const password = 'argon2 rehash check';

  it('asks to rehash argon2i, argon2d, v=16 and weaker argon2id hashes', async () => {
    const cases = [
      await argon2Hash(password, { algorithm: 1, memoryCost: 19_456, timeCost: 2 }), // argon2i
      await argon2Hash(password, { algorithm: 0, memoryCost: 19_456, timeCost: 2 }), // argon2d
      await argon2Hash(password, { algorithm: 2, version: 0, memoryCost: 19_456, timeCost: 2 }), // v=16
      await argon2Hash(password, { algorithm: 2, memoryCost: 8_192, timeCost: 2 }), // m too low
      await argon2Hash(password, { algorithm: 2, memoryCost: 19_456, timeCost: 1 }), // t too low
    ];
    for (const stored of cases) {
      assert.equal(hasher.isRecognisedHash(stored), true, stored);
      assert.deepEqual({ ...(await hasher.verify(stored, password)) }, { ok: true, needsRehash: true }, stored);
    }
  });

  it('keeps argon2id hashes at or above the configured costs, whatever their parallelism', async () => {
    for (const options of [
      { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
      { memoryCost: 65_536, timeCost: 3, parallelism: 4 },
    ]) {
      const stored = await argon2Hash(password, { algorithm: 2, ...options });
      assert.deepEqual({ ...(await hasher.verify(stored, password)) }, { ok: true, needsRehash: false }, stored);
    }
  });

  it('verifies the pre-1.3 format without v=', async () => {
    const stored = await argon2Hash(password, { algorithm: 1, version: 0, memoryCost: 8_192, timeCost: 1 });
    const withoutV = stored.replace('$v=16$', '$');
    assert.notEqual(withoutV, stored);
    assert.deepEqual({ ...(await hasher.verify(withoutV, password)) }, { ok: true, needsRehash: true });
  });
});
