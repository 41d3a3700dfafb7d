import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMemo } from '../../src/bounded-memo.js';

describe('BoundedMemo', () => {
  it('computes a key once while it is held, and again once it was let go', () => {
    const memo = new BoundedMemo<{ key: string }>(3, 10);
    let computed = 0;
    const get = (key: string) => memo.get(key, () => ({ key: `${key}${++computed}` }));
    const first = get('a');
    assert.equal(get('a'), first);
    get('b');
    get('c');
    get('d'); // the fourth pushes out the oldest
    assert.equal(computed, 4);
    assert.notEqual(get('a'), first);
    assert.equal(computed, 5);
    assert.equal(get('d').key, 'd4');
  });

  it('holds undefined answers too', () => {
    const memo = new BoundedMemo<number | undefined>(2, 10);
    let computed = 0;
    memo.get('x', () => (computed++, undefined));
    assert.equal(memo.get('x', () => (computed++, 1)), undefined);
    assert.equal(computed, 1);
  });

  it('computes keys longer than its limit every time', () => {
    const memo = new BoundedMemo<number>(2, 4);
    let computed = 0;
    memo.get('short', () => ++computed);
    memo.get('short', () => ++computed);
    assert.equal(computed, 2);
    memo.get('four', () => ++computed);
    assert.equal(memo.get('four', () => ++computed), 3);
  });
});
