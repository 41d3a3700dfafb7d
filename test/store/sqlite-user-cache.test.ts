import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import type { Store } from '../../src/store/store.js';

describe('SQLite user lookups are cached, and see every change', () => {
  let dir: string;
  let server: Store;
  let cli: Store;
  let id: string;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-cache-'));
    const file = path.join(dir, 'gatehouse.db');
    server = openSqliteStore(file);
    await server.migrate();
    cli = openSqliteStore(file); // another connection, as the CLI or a second instance would have
    id = randomUUID();
    await server.users.create({
      id,
      username: 'cached',
      usernameNormalized: 'cached',
      email: null,
      fullName: null,
      passwordHash: null,
      disabled: false,
      roles: ['user'],
      createdAt: 1,
    });
  });
  after(async () => {
    await server.close();
    await cli.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers repeated lookups from memory', async () => {
    const first = await server.users.findById(id);
    assert.equal(await server.users.findById(id), first);
    assert.equal(await server.users.findByUsername('cached'), first);
  });

  it('sees its own writes at once', async () => {
    await server.users.findById(id);
    await server.users.update(id, { disabled: true }, 2);
    assert.equal((await server.users.findById(id))?.disabled, true);
    assert.equal((await server.users.findByUsername('cached'))?.disabled, true);
    await server.users.update(id, { disabled: false }, 3);
    assert.equal((await server.users.findById(id))?.disabled, false);
  });

  it('tells which users it holds without I/O, and forgets them on a change from anywhere', async () => {
    const user = await server.users.findById(id);
    assert.equal(server.users.findHeld?.('id', id), user);
    assert.equal(server.users.findHeld?.('username', 'cached'), user);
    assert.equal(server.users.findHeld?.('username', 'nobody'), undefined);
    await server.users.update(id, { fullName: 'Own write' }, 5);
    assert.equal(server.users.findHeld?.('id', id), undefined, 'its own write clears what it held');
    await server.users.findById(id);
    await cli.users.update(id, { fullName: 'Other connection' }, 6);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.users.findHeld?.('id', id), undefined, 'another connection’s commit clears it too');
    assert.equal((await server.users.findById(id))?.fullName, 'Other connection');
  });

  it('sees another connection’s commit within milliseconds', async () => {
    assert.equal((await server.users.findById(id))?.disabled, false);
    await cli.users.update(id, { disabled: true }, 4);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal((await server.users.findById(id))?.disabled, true);
    await cli.users.delete(id);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(await server.users.findById(id), undefined);
    assert.equal(await server.users.findByUsername('cached'), undefined);
  });
});
