import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VerifiedTokenCache } from '../../src/tokens/verified-cache.js';

const tail = 's'.repeat(80);

describe('verified-token cache', () => {
  it('answers only for the very token verified, not for one that ends the same', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>(10);
    cache.set(`aaa.bbb.${tail}`, { jti: 'one' }, 100);
    assert.deepEqual(cache.get(`aaa.bbb.${tail}`, 50), { jti: 'one' });
    assert.equal(cache.get(`aaa.ccc.${tail}`, 50), undefined);
    assert.equal(cache.get('short', 50), undefined);
  });

  it('forgets a token at its expiry and by jti', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>(10);
    cache.set(`a.b.${tail}1`, { jti: 'one' }, 100);
    cache.set(`a.b.${tail}2`, { jti: 'two' }, 100);
    cache.set('x.y.z', { jti: 'three' }, 100);
    assert.equal(cache.get(`a.b.${tail}1`, 100), undefined, 'expired at exp');
    cache.evictJti('two');
    assert.equal(cache.get(`a.b.${tail}2`, 50), undefined);
    assert.deepEqual(cache.get('x.y.z', 50), { jti: 'three' });
  });

  it('stays within its size, dropping the oldest entry first', () => {
    const cache = new VerifiedTokenCache<{ jti: string }>(2);
    for (const n of [1, 2, 3]) cache.set(`t.${n}.${tail}${n}`, { jti: String(n) }, 100);
    assert.equal(cache.size, 2);
    assert.equal(cache.get(`t.1.${tail}1`, 50), undefined);
    assert.deepEqual(cache.get(`t.3.${tail}3`, 50), { jti: '3' });
  });
});
