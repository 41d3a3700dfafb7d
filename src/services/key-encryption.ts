import { decryptPrivateKey, encryptPrivateKey, isEncryptedPrivateKey } from '../tokens/signing-keys.js';
import type { SigningKeyStore } from '../store/store.js';

/**
 * Encrypts, with the key-encryption key, the private keys still stored in plaintext (made
 * before GATEHOUSE_KEY_ENCRYPTION_KEY was set); kids and public keys stay as they are. Returns
 * how many this call encrypted: of instances starting at once, one does it (compare-and-set).
 */
export async function encryptPlaintextKeys(keys: SigningKeyStore, kek: Buffer): Promise<number> {
  const records = await keys.list();
  const plaintext = records.filter((r) => !isEncryptedPrivateKey(r.privateKey));
  if (plaintext.length === 0) return 0;
  // Keys already encrypted must open with this one: a wrong key stops the start before anything
  // is written, so the store never holds keys under two key-encryption keys.
  for (const r of records) if (isEncryptedPrivateKey(r.privateKey)) decryptPrivateKey(r.privateKey, kek, r.kid);
  return keys.replacePrivateKeys(
    plaintext.map((r) => ({ kid: r.kid, expected: r.privateKey, next: encryptPrivateKey(r.privateKey, kek, r.kid) })),
  );
}
