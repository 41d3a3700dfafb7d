import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { Keyring, type KeyringLog } from '../../src/services/keys.js';
import { generateSigningKey, loadSigningKey } from '../../src/tokens/signing-keys.js';
import type { SigningKeyRecord, Store } from '../../src/store/store.js';
import { ManualClock } from '../helpers/clock.js';
import { postgresStore, sqliteStore, type OpenedStore, type StoreFactory } from '../helpers/stores.js';

/** A log that keeps its info lines. */
function recordingLog(): KeyringLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (_obj, msg) => lines.push(msg), warn: () => undefined };
}

for (const [backend, open] of [
  ['SQLite', sqliteStore],
  ['PostgreSQL', postgresStore],
] as const satisfies ReadonlyArray<readonly [string, StoreFactory]>) {
  describe(`signing keys stored before GATEHOUSE_KEY_ENCRYPTION_KEY was set: ${backend}`, () => {
    let fixture: OpenedStore;
    let store: Store;
    const clock = new ManualClock(Date.now());
    const kek = randomBytes(32);
    const config = loadConfig({ GATEHOUSE_DATA_DIR: '/nonexistent', GATEHOUSE_KEY_ENCRYPTION_KEY: kek.toString('base64') });
    let plaintext: SigningKeyRecord[];
    before(async () => {
      fixture = await open();
      store = fixture.store;
      // A retired key and the current one, as a rotation without a key-encryption key leaves them.
      const first = generateSigningKey('ES256', clock.now() - 60_000, undefined);
      const second = generateSigningKey('ES256', clock.now() - 1_000, undefined);
      await store.signingKeys.addIfNone(first);
      await store.signingKeys.rotate(second, second.createdAt);
      plaintext = [second, first];
    });
    after(() => fixture.dispose());

    it('are encrypted once, by one of the instances starting at once; kids and public keys stay', async () => {
      const logs = [recordingLog(), recordingLog(), recordingLog()];
      const keyrings = await Promise.all(logs.map((log) => Keyring.open(config, store, clock, log)));
      assert.deepEqual(
        logs.flatMap((log) => log.lines),
        ['encrypted 2 plaintext signing keys with GATEHOUSE_KEY_ENCRYPTION_KEY'],
      );

      const stored = await store.signingKeys.list();
      assert.deepEqual(
        stored.map((r) => [r.kid, r.publicJwk, r.createdAt, r.retiredAt]),
        plaintext.map((r, i) => [r.kid, r.publicJwk, r.createdAt, i === 0 ? null : plaintext[0]?.createdAt]),
      );
      for (const [i, record] of stored.entries()) {
        assert.match(record.privateKey, /^enc:v1:/);
        const pem = plaintext[i]?.privateKey ?? '';
        const key = loadSigningKey(record, kek).signer.key;
        assert.equal(key.export({ format: 'pem', type: 'pkcs8' }).toString(), pem, 'the same private key');
      }
      for (const keyring of keyrings) {
        assert.equal(keyring.signingKey().kid, plaintext[0]?.kid);
        assert.deepEqual(
          keyring.jwks().keys.map((k) => k.kid),
          plaintext.map((r) => r.kid),
        );
      }

      const again = recordingLog();
      await Keyring.open(config, store, clock, again);
      assert.deepEqual(again.lines, [], 'nothing left to encrypt');
    });

    it('are left as they are when the key-encryption key does not open the keys already encrypted', async () => {
      const plain = generateSigningKey('EdDSA', clock.now(), undefined);
      await store.signingKeys.addIfNone(plain);
      const wrong = loadConfig({ GATEHOUSE_DATA_DIR: '/nonexistent', GATEHOUSE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
      await assert.rejects(Keyring.open(wrong, store, clock, recordingLog()), /^Error: signing key \S+ cannot be decrypted with GATEHOUSE_KEY_ENCRYPTION_KEY$/);
      const stored = (await store.signingKeys.list()).find((r) => r.kid === plain.kid);
      assert.equal(stored?.privateKey, plain.privateKey);
    });
  });
}
