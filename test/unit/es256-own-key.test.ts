import assert from 'node:assert/strict';
import { createECDH, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import { importJWK, jwtVerify } from 'jose';
import { es256CheckName, loadNativeEs256, ownKey, type NativeEs256Load, type OwnKey } from '../../src/tokens/es256-own-key.js';
import { JwtError, signCompact, verifyCompact, verifyCompactAsync, type SignatureCheck, type VerifyOptions } from '../../src/tokens/jwt.js';
import { generateSigningKey, loadSigningKey } from '../../src/tokens/signing-keys.js';

const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const hex32 = (value: bigint): Buffer => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
const scalar = (bytes: Buffer): bigint => BigInt(`0x${bytes.toString('hex')}`);

/** A P-256 key pair with the private scalar `d` (any 0 < d < n), through its JWK. */
function pairWithScalar(d: bigint): { privateKey: KeyObject; publicKey: KeyObject } {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(hex32(d));
  const point = ecdh.getPublicKey();
  const jwk = { kty: 'EC', crv: 'P-256', d: hex32(d).toString('base64url'), x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

function nativeKey(privateKey: KeyObject, publicKey: KeyObject): OwnKey {
  const load = loadNativeEs256();
  assert.ok(load.addon, `the ES256 addon in native/ is ${'reason' in load ? load.reason : 'missing'}: npm run build:native`);
  const own = ownKey(privateKey, publicKey, load);
  assert.ok(own, 'a P-256 key gets its own check');
  return own;
}

const nativeCheck = (privateKey: KeyObject, publicKey: KeyObject): SignatureCheck => nativeKey(privateKey, publicKey).check;

function nativeSigner(privateKey: KeyObject, publicKey: KeyObject): (signingInput: Buffer) => Buffer {
  const { sign: signer } = nativeKey(privateKey, publicKey);
  assert.ok(signer, 'the addon signs');
  return signer;
}

/**
 * A fresh P-256 pair read back from PEM: ownKey exports the private key to a JWK, which Node 20
 * can deadlock on for a KeyObject straight from generateKeyPairSync (see generatePair in
 * src/tokens/signing-keys.ts).
 */
function p256(): { privateKey: KeyObject; publicKey: KeyObject } {
  const { privateKey: pem } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const privateKey = createPrivateKey(pem);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

const standard = (publicKey: KeyObject, input: Buffer, sig: Buffer): boolean => verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);

/** Valid signatures, their high-s twins, and near misses of every kind, each with crypto.verify's verdict beside the check's. */
function compare(check: SignatureCheck, privateKey: KeyObject, publicKey: KeyObject, count: number): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < count; i++) {
    const input = randomBytes(1 + (i % 200));
    const sig = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const r = sig.subarray(0, 32);
    const s = scalar(sig.subarray(32));
    const flipped = Buffer.from(sig);
    flipped[i % 64]! ^= 1 << (i % 8);
    const otherInput = Buffer.from(input);
    otherInput[i % input.length]! ^= 0x20;
    const cases: [string, Buffer, Buffer][] = [
      ['valid', input, sig],
      ['high s', input, Buffer.concat([r, hex32(N - s)])],
      ['a bit of the signature flipped', input, flipped],
      ['another input', otherInput, sig],
      ['r and s swapped', input, Buffer.concat([sig.subarray(32), r])],
      ['random bytes', input, randomBytes(64)],
      ['s + n (out of range)', input, Buffer.concat([r, hex32((s + N) % 2n ** 256n)])],
    ];
    for (const [what, data, signature] of cases) {
      const expected = standard(publicKey, data, signature);
      assert.equal(check.verify(data, signature), expected, `${what} (signature ${i})`);
      if (expected) valid++;
      else invalid++;
    }
  }
  return { valid, invalid };
}

describe('ES256 checks with the private key', () => {
  it('loads, and serve would say so', () => {
    assert.ok(loadNativeEs256().addon, 'npm run build:native');
    assert.equal(es256CheckName(), 'signed and checked with the private key by the native/ addon');
    assert.match(es256CheckName({ addon: undefined, reason: 'not built' }), /^signed and checked by node:crypto \(native\/ addon not built/);
    const older = { loadKey: () => ({}), verify: () => true, verifyAsync: () => Promise.resolve(true) };
    assert.match(es256CheckName({ addon: older }), /^checked with the private key by the native\/ addon, signed by node:crypto/);
  });

  it('gives crypto.verify’s verdict on valid, high-s, tampered and random signatures, for fresh keys', () => {
    for (let k = 0; k < 6; k++) {
      const { privateKey, publicKey } = p256();
      const { valid, invalid } = compare(nativeCheck(privateKey, publicKey), privateKey, publicKey, 150);
      assert.equal(valid, 300, 'every valid signature and its high-s twin');
      assert.ok(invalid >= 150 * 5 - 1, `near misses refused: ${invalid}`);
    }
  });

  it('gives the same verdicts for private scalars at the edges of the range', () => {
    for (const d of [1n, 2n, 3n, N - 1n, N - 2n, 2n ** 255n, 2n ** 256n - 2n ** 224n - 1n, 2n ** 64n - 1n, N >> 1n]) {
      if (d >= N) continue;
      const { privateKey, publicKey } = pairWithScalar(d);
      const { valid } = compare(nativeCheck(privateKey, publicKey), privateKey, publicKey, 25);
      assert.equal(valid, 50, `d = ${d.toString(16)}`);
    }
  });

  it('gives the same verdicts when the input’s SHA-256 is n or more (about one input in 2³²)', () => {
    // Found by search: its SHA-256 is ffffffffbd9c530e…, above n, so the check reduces e mod n.
    const input = Buffer.from('gatehouse e>=n 0000000306d394e3');
    assert.ok(scalar(createHash('sha256').update(input).digest()) >= N);
    for (let k = 0; k < 4; k++) {
      const { privateKey, publicKey } = p256();
      const check = nativeCheck(privateKey, publicKey);
      for (let i = 0; i < 20; i++) {
        const sig = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const high = Buffer.concat([sig.subarray(0, 32), hex32(N - scalar(sig.subarray(32)))]);
        const flipped = Buffer.from(sig);
        flipped[i]! ^= 4;
        for (const signature of [sig, high, flipped]) assert.equal(check.verify(input, signature), standard(publicKey, input, signature));
        assert.equal(check.verify(input, sig), true);
      }
    }
  });

  it('refuses r or s of zero, n or more, and signatures that are not 64 bytes', () => {
    const { privateKey, publicKey } = p256();
    const check = nativeCheck(privateKey, publicKey);
    const input = Buffer.from('header.payload');
    const sig = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const r = scalar(sig.subarray(0, 32));
    const s = scalar(sig.subarray(32));
    assert.equal(check.verify(input, sig), true);
    for (const [rr, ss] of [
      [0n, s],
      [r, 0n],
      [N, s],
      [r, N],
      [r + N, s],
      [2n ** 256n - 1n, s],
      [r, 2n ** 256n - 1n],
    ] as const) {
      if (rr >= 2n ** 256n) continue;
      const forged = Buffer.concat([hex32(rr), hex32(ss)]);
      assert.equal(check.verify(input, forged), false, `r=${rr.toString(16)} s=${ss.toString(16)}`);
      assert.equal(standard(publicKey, input, forged), false);
    }
    assert.equal(check.verify(input, sig.subarray(0, 63)), false);
    assert.equal(check.verify(input, Buffer.concat([sig, Buffer.alloc(1)])), false);
    assert.equal(check.verify(input, Buffer.alloc(0)), false);
  });

  it('refuses another key’s signatures', () => {
    const mine = p256();
    const theirs = p256();
    const check = nativeCheck(mine.privateKey, mine.publicKey);
    for (let i = 0; i < 50; i++) {
      const input = randomBytes(40);
      assert.equal(check.verify(input, sign('sha256', input, { key: theirs.privateKey, dsaEncoding: 'ieee-p1363' })), false);
    }
  });

  it('gives the same verdicts on the thread pool, many at once', async () => {
    const { privateKey, publicKey } = p256();
    const check = nativeCheck(privateKey, publicKey);
    const cases = Array.from({ length: 400 }, (_, i) => {
      const input = randomBytes(20 + i);
      const sig = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      if (i % 2 === 1) sig[i % 64]! ^= 1;
      return { input, sig, expected: i % 2 === 0 };
    });
    const verdicts = await Promise.all(cases.map(({ input, sig }) => check.verifyAsync(input, sig)));
    assert.deepEqual(verdicts, cases.map((c) => c.expected));
    assert.deepEqual(
      verdicts,
      cases.map(({ input, sig }) => standard(publicKey, input, sig)),
    );
    assert.equal(await check.verifyAsync(Buffer.from('x'), Buffer.alloc(63)), false);
  });

  it('is offered only for P-256 keys', () => {
    for (const pair of [
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ]) {
      assert.equal(ownKey(pair.privateKey, pair.publicKey), undefined);
    }
  });

  it('is not offered when the addon is missing, or when it disagrees with crypto.verify on the probe', () => {
    const { privateKey, publicKey } = p256();
    assert.equal(ownKey(privateKey, publicKey, { addon: undefined, reason: 'not built' }), undefined);
    const fake = (verdict: boolean): NativeEs256Load => ({ addon: { loadKey: () => ({}), verify: () => verdict, verifyAsync: () => Promise.resolve(verdict) } });
    const accepting = fake(true);
    const refusing = fake(false);
    assert.equal(ownKey(privateKey, publicKey, accepting), undefined);
    assert.equal(ownKey(privateKey, publicKey, refusing), undefined);
    const throwing: NativeEs256Load = {
      addon: {
        loadKey: () => {
          throw new TypeError('d is not a P-256 private scalar');
        },
        verify: () => true,
        verifyAsync: () => Promise.resolve(true),
      },
    };
    assert.equal(ownKey(privateKey, publicKey, throwing), undefined);
  });

  it('refuses a private scalar out of range, and arguments of the wrong kind', () => {
    const addon = loadNativeEs256().addon;
    assert.ok(addon);
    for (const d of [Buffer.alloc(32), hex32(N), hex32(N + 1n), Buffer.alloc(31, 1), Buffer.alloc(33, 1)]) {
      assert.throws(() => addon.loadKey(d), TypeError);
    }
    const handle = addon.loadKey(hex32(5n));
    assert.throws(() => addon.verify({}, Buffer.alloc(1), Buffer.alloc(64)), TypeError);
    assert.throws(() => addon.verify(handle, 'text' as unknown as Buffer, Buffer.alloc(64)), TypeError);
    assert.equal(addon.verify(handle, Buffer.alloc(1), Buffer.alloc(64)), false);
    assert.throws(() => addon.verifyAsync({}, Buffer.alloc(1), Buffer.alloc(64)), TypeError);
  });
});

describe('ES256 signatures with the private key', () => {
  it('verify with crypto.verify and with the check, never repeat a nonce, and fail for another input, for fresh keys and edge scalars', () => {
    const pairs = [
      ...Array.from({ length: 4 }, () => p256()),
      ...[1n, 2n, N - 1n, N - 2n, 2n ** 255n, N >> 1n].map(pairWithScalar),
    ];
    const rs = new Set<string>();
    for (const { privateKey, publicKey } of pairs) {
      const own = nativeKey(privateKey, publicKey);
      assert.ok(own.sign);
      for (let i = 0; i < 60; i++) {
        const input = randomBytes(1 + ((i * 37) % 400));
        const sig: Buffer = own.sign(input);
        assert.equal(sig.length, 64);
        assert.equal(standard(publicKey, input, sig), true, `signature ${i}`);
        assert.equal(own.check.verify(input, sig), true);
        const other = Buffer.from(input);
        other[i % other.length]! ^= 1;
        assert.equal(standard(publicKey, other, sig), false);
        rs.add(sig.subarray(0, 32).toString('hex'));
      }
    }
    assert.equal(rs.size, pairs.length * 60, 'every signature has its own r');
  });

  it('signs the input whose SHA-256 is n or more as crypto.verify expects', () => {
    const input = Buffer.from('gatehouse e>=n 0000000306d394e3');
    const { privateKey, publicKey } = p256();
    const signer = nativeSigner(privateKey, publicKey);
    for (let i = 0; i < 20; i++) assert.equal(standard(publicKey, input, signer(input)), true);
  });

  it('refuses arguments of the wrong kind', () => {
    const addon = loadNativeEs256().addon;
    assert.ok(addon?.sign);
    const handle = addon.loadKey(hex32(7n));
    assert.throws(() => addon.sign!({}, Buffer.alloc(1)), TypeError);
    assert.throws(() => addon.sign!(handle, 'text' as unknown as Buffer), TypeError);
    assert.throws(() => (addon.sign as unknown as (h: object) => Buffer)(handle), TypeError);
    assert.equal(addon.sign(handle, Buffer.alloc(0)).length, 64, 'an empty input is an input');
  });

  it('is not offered when the addon cannot sign, or signs what crypto.verify refuses, or repeats a nonce', () => {
    const { privateKey, publicKey } = p256();
    const real = loadNativeEs256().addon;
    assert.ok(real?.sign);
    const realSign = real.sign.bind(real);
    const withSign = (signer: NonNullable<typeof real.sign> | undefined): OwnKey | undefined =>
      ownKey(privateKey, publicKey, { addon: { loadKey: real.loadKey, verify: real.verify, verifyAsync: real.verifyAsync, sign: signer } });
    assert.ok(withSign(realSign)?.sign, 'the real signer is offered');
    let fixed: Buffer | undefined;
    for (const [what, signer] of [
      ['no sign (an older build)', undefined],
      ['random bytes', () => randomBytes(64)],
      ['a throwing signer', () => {
        throw new Error('ES256 signing failed inside OpenSSL');
      }],
      ['a repeated nonce', (handle: object, input: Buffer): Buffer => (fixed ??= realSign(handle, input))],
      ['DER signatures', (_handle: object, input: Buffer): Buffer => sign('sha256', input, privateKey)],
    ] as const) {
      const own = withSign(signer as NonNullable<typeof real.sign> | undefined);
      assert.ok(own?.check, `${what}: the check is still offered`);
      assert.equal(own.sign, undefined, what);
    }
  });
});

describe('Gatehouse’s own ES256 keys', () => {
  const key = loadSigningKey(generateSigningKey('ES256', Date.now(), undefined), undefined);
  const options: VerifyOptions = { algorithms: ['ES256'], types: ['at+jwt'], keyFor: (kid) => (kid === key.kid ? key.verifier : undefined) };
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })).toString('base64url');

  it('sign with the addon when loaded: tokens that jose verifies with the public JWK', async () => {
    assert.equal(typeof key.signer.sign, 'function');
    let calls = 0;
    const counted = { ...key.signer, sign: (input: Buffer) => (calls++, key.signer.sign!(input)) };
    const now = Math.floor(Date.now() / 1000);
    const token = signCompact(header, { sub: 'alice', exp: now + 60 }, counted);
    assert.equal(calls, 1);
    const { payload } = await jwtVerify(token, await importJWK(key.publicJwk!, 'ES256'), { algorithms: ['ES256'], typ: 'at+jwt' });
    assert.equal(payload.sub, 'alice');
    const standardOnly: VerifyOptions = { ...options, keyFor: () => ({ kid: key.kid, alg: 'ES256', key: key.verifier.key }) };
    assert.equal(verifyCompact(token, standardOnly).payload['sub'], 'alice');
    const { sign: _, ...withoutAddon } = key.signer;
    assert.equal(verifyCompact(signCompact(header, { sub: 'bob' }, withoutAddon), options).payload['sub'], 'bob', 'node:crypto signs without it');
  });

  it('verify with the private key when loaded, sync and async, and refuse a tampered token', async () => {
    assert.equal(typeof key.verifier.check?.verifyAsync, 'function');
    const token = signCompact(header, { sub: 'alice' }, key.signer);
    assert.deepEqual(verifyCompact(token, options).payload, { sub: 'alice' });
    assert.deepEqual((await verifyCompactAsync(token, options)).payload, { sub: 'alice' });
    const [h, , s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: 'mallory' })).toString('base64url')}.${s}`;
    assert.throws(() => verifyCompact(tampered, options), (e: unknown) => e instanceof JwtError && e.code === 'ERR_JWS_SIGNATURE_INVALID');
    await assert.rejects(verifyCompactAsync(tampered, options), (e: unknown) => e instanceof JwtError && e.code === 'ERR_JWS_SIGNATURE_INVALID');
  });

  it('refuse a token whose check fails inside the addon, as a bad signature, sync and async', async () => {
    const failing: VerifyOptions = {
      ...options,
      keyFor: () => ({
        ...key.verifier,
        check: {
          verify: () => {
            throw new Error('ES256 check failed inside OpenSSL');
          },
          verifyAsync: () => Promise.reject(new Error('ES256 check failed inside OpenSSL')),
        },
      }),
    };
    const token = signCompact(header, { sub: 'alice' }, key.signer);
    const invalid = (e: unknown): boolean => e instanceof JwtError && e.code === 'ERR_JWS_SIGNATURE_INVALID';
    assert.throws(() => verifyCompact(token, failing), invalid);
    await assert.rejects(verifyCompactAsync(token, failing), invalid);
  });

  it('verify the standard way for keys that carry no check (JWKS, HS256, RS256, EdDSA)', () => {
    for (const alg of ['RS256', 'EdDSA'] as const) {
      const loaded = loadSigningKey(generateSigningKey(alg, Date.now(), undefined), undefined);
      assert.equal(loaded.verifier.check, undefined, alg);
    }
  });
});
