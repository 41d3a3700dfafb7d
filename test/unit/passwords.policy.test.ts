import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyViolation } from '../../src/errors.js';
import { createDummyVerifier } from '../../src/passwords/dummy.js';
import type { DummyHashOps } from '../../src/passwords/dummy.js';
import { MAX_PASSWORD_BYTES, normalisePassword, passwordBytes } from '../../src/passwords/normalise.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, validateNewPassword } from '../../src/passwords/policy.js';

function refuses(password: string, message: RegExp): void {
  assert.throws(
    () => validateNewPassword(password),
    (error: unknown) => error instanceof PolicyViolation && message.test(error.message),
    JSON.stringify(password.slice(0, 20)),
  );
}

describe('validateNewPassword', () => {
  it('has the documented limits', () => {
    assert.equal(MIN_PASSWORD_LENGTH, 8);
    assert.equal(MAX_PASSWORD_LENGTH, 1024);
  });

  it('refuses 7 characters and accepts 8', () => {
    refuses('a'.repeat(7), /at least 8/);
    refuses('', /at least 8/);
    assert.doesNotThrow(() => validateNewPassword('a'.repeat(8)));
  });

  it('accepts 1024 characters and refuses 1025', () => {
    assert.doesNotThrow(() => validateNewPassword('a'.repeat(1024)));
    refuses('a'.repeat(1025), /at most 1024/);
    refuses('a'.repeat(100_000), /at most 1024/);
  });

  it('counts code points of the NFC form, not UTF-16 units or bytes', () => {
    assert.doesNotThrow(() => validateNewPassword('\u{1F600}'.repeat(8))); // 16 UTF-16 units, 8 code points
    refuses('\u{1F600}'.repeat(7), /at least 8/); // 14 units but 7 characters
    assert.doesNotThrow(() => validateNewPassword('\u{1F600}'.repeat(1024))); // 4096 bytes
    refuses('\u{1F600}'.repeat(1025), /at most 1024/);
    // 7 × "e + U+0301" is 14 code points as typed but 7 after NFC.
    refuses('e\u0301'.repeat(7), /at least 8/);
    // 1024 × "é" typed decomposed is 2048 code points as typed, 1024 after NFC.
    assert.doesNotThrow(() => validateNewPassword('e\u0301'.repeat(1024)));
  });

  it('refuses NUL and lone surrogates', () => {
    refuses('abcd\u0000efgh', /NUL/);
    refuses('\u0000'.repeat(8), /NUL/);
    refuses('abcdefg\uD800', /unpaired surrogate/);
    refuses('\uDC00abcdefgh', /unpaired surrogate/);
    assert.doesNotThrow(() => validateNewPassword('abcdefg\uD83D\uDE00')); // a proper pair
  });

  it('accepts spaces, punctuation and any script', () => {
    for (const password of ['correct horse battery', '        ', 'пароль-пароль', '密码密码密码密码', "p@ss w0rd!'\""]) {
      assert.doesNotThrow(() => validateNewPassword(password), password);
    }
  });
});

describe('normalisePassword / passwordBytes', () => {
  it('normalises to NFC', () => {
    assert.equal(normalisePassword('A\u030Angstr\u00F6m'), '\u00C5ngstr\u00F6m');
    assert.equal(normalisePassword('\u212B'), '\u00C5'); // ANGSTROM SIGN is a canonical singleton
    assert.equal(normalisePassword('\uFB01'), '\uFB01'); // NFC keeps the compatibility ligature (NFKC would not)
  });

  it('encodes the NFC form as UTF-8 and refuses what cannot be a password', () => {
    assert.deepEqual(passwordBytes('a\u0308'), Buffer.from([0xc3, 0xa4]));
    assert.equal(passwordBytes('bad \uD800'), undefined);
    assert.equal(passwordBytes(undefined), undefined);
    assert.equal(passwordBytes('x'.repeat(MAX_PASSWORD_BYTES))?.length, MAX_PASSWORD_BYTES);
    assert.equal(passwordBytes('x'.repeat(MAX_PASSWORD_BYTES + 1)), undefined);
    assert.equal(passwordBytes('\u00e9'.repeat(MAX_PASSWORD_BYTES / 2 + 1)), undefined); // bytes, not characters
  });
});

describe('createDummyVerifier', () => {
  function spyOps(failFirstHash = false): DummyHashOps & { hashes: number; verifies: string[] } {
    const ops = {
      hashes: 0,
      verifies: [] as string[],
      async hash(password: Buffer): Promise<string> {
        ops.hashes++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (failFirstHash && ops.hashes === 1) throw new Error('out of memory');
        return `dummy-hash-of-${password.length}-bytes`;
      },
      async verify(storedHash: string, password: Buffer): Promise<boolean> {
        ops.verifies.push(`${storedHash}|${password.toString()}`);
        return true;
      },
    };
    return ops;
  }

  it('makes the dummy hash lazily, once, even for concurrent first callers', async () => {
    const ops = spyOps();
    const dummy = createDummyVerifier(ops);
    assert.equal(ops.hashes, 0, 'nothing is hashed before the first use');
    await Promise.all([dummy.verify(Buffer.from('a')), dummy.verify(Buffer.from('b')), dummy.verify(Buffer.from('c'))]);
    await dummy.verify(Buffer.from('d'));
    assert.equal(ops.hashes, 1);
    assert.deepEqual(ops.verifies.sort(), ['a', 'b', 'c', 'd'].map((p) => `dummy-hash-of-32-bytes|${p}`));
  });

  it('does not throw, and tries again after a failed hash', async () => {
    const ops = spyOps(true);
    const dummy = createDummyVerifier(ops);
    await dummy.verify(Buffer.from('first')); // the hash fails: swallowed
    assert.equal(ops.verifies.length, 0);
    await dummy.verify(Buffer.from('second'));
    assert.equal(ops.hashes, 2);
    assert.equal(ops.verifies.length, 1);
  });
});
