import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log.js';
import { Audit } from '../../src/services/audit.js';
import { ManualClock } from '../helpers/clock.js';
import { sqliteStore } from '../helpers/stores.js';

describe('Audit listeners', () => {
  it('hear every event as it is recorded; one that throws is logged, and the event is still written', async () => {
    const { store, dispose } = await sqliteStore();
    try {
      const logged: string[] = [];
      const log = createLogger('error', { write: (line: string) => void logged.push(JSON.parse(line).msg) });
      const audit = new Audit(store, new ManualClock(), log);
      const heard: string[] = [];
      audit.onRecord(() => {
        throw new Error('broken listener');
      });
      audit.onRecord((event) => heard.push(event.type));
      await audit.record('login.success', { username: 'alice' });
      assert.deepEqual(heard, ['login.success']);
      assert.deepEqual(logged, ['audit listener failed']);
      assert.equal((await audit.list({ limit: 10, offset: 0 })).total, 1);
    } finally {
      await dispose();
    }
  });

  it('hear an event that a store write records with its change only once it is written, and the audit does not write it again', async () => {
    const { store, dispose } = await sqliteStore();
    try {
      const clock = new ManualClock();
      const audit = new Audit(store, clock, createLogger('error', { write: () => undefined }));
      const heard: string[] = [];
      audit.onRecord((event) => heard.push(event.type));
      const event = audit.event('refresh.rotated', { userId: 'u1', clientId: 'gatehouse', ip: '127.0.0.1', detail: { family: 'f1' } });
      assert.deepEqual(
        [event.type, event.at, event.userId, event.username, event.clientId, event.ip, event.detail],
        ['refresh.rotated', clock.now(), 'u1', null, 'gatehouse', '127.0.0.1', { family: 'f1' }],
      );
      assert.deepEqual(heard, []);
      audit.written(event);
      assert.deepEqual(heard, ['refresh.rotated']);
      await audit.flush();
      assert.equal((await audit.list({ limit: 10, offset: 0 })).total, 0);
    } finally {
      await dispose();
    }
  });
});
