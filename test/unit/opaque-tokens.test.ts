import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { clientSecretMatches, hashClientSecret, newClientId, newClientSecret } from '../../src/tokens/client-secret.js';
import { hashRefreshToken, isRefreshTokenShaped, newRefreshToken } from '../../src/tokens/refresh-token.js';

describe('refresh tokens', () => {
  it('are 256 random bits in base64url, stored as their SHA-256', () => {
    const { token, hash } = newRefreshToken();
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.ok(isRefreshTokenShaped(token));
    assert.equal(hash, createHash('sha256').update(token).digest('base64url'));
    assert.equal(hashRefreshToken(token), hash);
    assert.notEqual(newRefreshToken().token, token);
  });

  it('tells a possible refresh token from anything else', () => {
    for (const other of ['', 'a.b.c', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}=`]) assert.equal(isRefreshTokenShaped(other), false);
  });
});

describe('client secrets', () => {
  it('match only the secret they were made from', () => {
    const { secret, hash } = newClientSecret();
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    assert.equal(hashClientSecret(secret), hash);
    assert.equal(clientSecretMatches(secret, hash), true);
    assert.equal(clientSecretMatches(`${secret}x`, hash), false);
    assert.equal(clientSecretMatches('', hash), false);
  });

  it('never match a malformed stored hash', () => {
    assert.equal(clientSecretMatches('secret', ''), false);
    assert.equal(clientSecretMatches('secret', 'short'), false);
  });

  it('come with random client ids', () => {
    assert.match(newClientId(), /^[A-Za-z0-9_-]{24}$/);
    assert.notEqual(newClientId(), newClientId());
  });

  it('never start a client id with "-" or "_", so a command line cannot read one as an option', () => {
    // Plain base64url starts 1 in 32 ids so: 2,000 draws would all but surely show one.
    const firsts = new Set(Array.from({ length: 2000 }, () => newClientId()[0]));
    assert.equal(firsts.has('-') || firsts.has('_'), false);
    assert.ok(firsts.size > 50, 'the first character is still spread over the alphabet');
  });
});
