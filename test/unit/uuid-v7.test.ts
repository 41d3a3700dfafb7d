import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidV7 } from '../../src/uuid-v7.js';

const SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV7', () => {
  it('is an RFC 9562 version 7 UUID whose first 48 bits are the milliseconds given', () => {
    const ms = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = uuidV7(ms);
    assert.match(id, SHAPE);
    assert.equal(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16), ms);
  });

  it('sorts as text in the order of its milliseconds, so later keys append to an index', () => {
    const start = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 2000 }, (_, i) => uuidV7(start + i * 37));
    assert.deepEqual([...ids].sort(), ids);
  });

  it('differs for ids made in the same millisecond, across refills of its random block', () => {
    const ms = Date.now();
    const ids = Array.from({ length: 5000 }, () => uuidV7(ms));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, SHAPE);
    // Every one of the 74 random bits varies (a stuck bit would show as a constant hex digit here).
    const randomPart = (id: string): string => id.replaceAll('-', '').slice(13);
    for (let i = 0; i < 19; i++) assert.ok(new Set(ids.map((id) => randomPart(id)[i])).size > 1, `random digit ${i} never changes`);
  });
});
