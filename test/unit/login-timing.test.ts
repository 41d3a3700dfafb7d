import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashKind } from '../../src/services/login-timing.js';

describe('hashKind', () => {
  it('keeps the scheme and its cost parameters, not salt and digest', () => {
    assert.equal(hashKind('$2b$12$EixZaYVK1fsbw1ZfbX3OXePaWxn96p36WQoeG6Lruj3vjPGga31lW'), '$2b$12');
    assert.equal(hashKind('$2y$10$abcdefghijklmnopqrstuv0123456789012345678901234567890'), '$2y$10');
    assert.equal(hashKind('$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA'), '$argon2id$v=19$m=19456,t=2,p=1');
    assert.equal(hashKind('$argon2i$m=4096,t=3,p=1$c29tZXNhbHQ$aGFzaA'), '$argon2i$m=4096,t=3,p=1');
    assert.equal(hashKind('$bcrypt-sha256$v=2,t=2b,r=12$n79VH.0Q2TMWmt3Oqt9uku$Kq4Noyk3094Y2QlB8NdRT8SvGiI4ft2'), '$bcrypt-sha256$v=2,t=2b,r=12');
  });

  it('gives hashes of one kind one key whatever their salts', () => {
    const a = hashKind('$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB');
    const b = hashKind('$argon2id$v=19$m=19456,t=2,p=1$CCCCCCCCCCCCCCCCCCCCCC$DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD');
    assert.equal(a, b);
  });
});
