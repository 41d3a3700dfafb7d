import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { startCheckpointer } from '../../src/store/sqlite/checkpointer.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';

const PAGE = 4096;
const FAILING_DRIVER = path.resolve(import.meta.dirname, '../fixtures/sqlite-driver-failing-checkpoints.cjs');

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-checkpoint-'));
  file = path.join(dir, 'gatehouse.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A WAL database with a table of page-sized rows: each insert writes at least one page to the WAL. */
function openWal(): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table pages (body blob)');
  return db;
}

const autocheckpoint = (db: BetterSqlite3.Database): number => db.pragma('wal_autocheckpoint', { simple: true }) as number;

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('WAL checkpoints on a thread of their own', () => {
  it('the connection stops checkpointing once the thread runs; the thread copies the WAL into the file', async () => {
    const db = openWal();
    const checkpointer = startCheckpointer(db, file, { intervalMs: 20 });
    await checkpointer.started;
    assert.equal(autocheckpoint(db), 0);
    const insert = db.prepare('insert into pages values (randomblob(?))');
    for (let i = 0; i < 1500; i++) insert.run(PAGE);
    // Nothing on this thread checkpoints (autocheckpoint 0), yet the pages reach the database file.
    await until(() => statSync(file).size > 1500 * PAGE, 'the pages in the database file');
    // Copied in full, the WAL starts over with the next commit instead of growing.
    await sleep(60);
    insert.run(PAGE);
    const [wal] = new BetterSqlite3(file).pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    assert.ok(wal !== undefined && wal.log < 10, `WAL frames after the restart: ${wal?.log}`);
    await checkpointer.stop();
    assert.equal(autocheckpoint(db), 1000);
    db.close();
  });

  it('keeps the WAL bounded under a steady stream of commits', async () => {
    const db = openWal();
    const checkpointer = startCheckpointer(db, file, { intervalMs: 20, restartAbovePages: 200 });
    await checkpointer.started;
    const insert = db.prepare('insert into pages values (randomblob(?))');
    let largest = 0;
    // 4,000 commits of a page each, 10 at a time with a millisecond between (a busy server's
    // writes, which leave gaps for a moment only): passive passes alone never catch up with
    // them, and without a bound the WAL would pass 16 MB.
    for (let i = 0; i < 4000; i++) {
      insert.run(PAGE);
      if (i % 10 === 9) {
        largest = Math.max(largest, statSync(`${file}-wal`).size);
        await sleep(1);
      }
    }
    assert.ok(largest < 8 * 1024 * 1024, `largest WAL: ${largest} bytes`);
    assert.ok(statSync(file).size > 1000 * PAGE, 'the pages reached the database file');
    await checkpointer.stop();
    db.close();
  });

  it('when the thread cannot start, the connection keeps checkpointing', async () => {
    const db = openWal();
    const checkpointer = startCheckpointer(db, file, { driver: path.join(dir, 'no-such-driver.cjs') });
    await assert.rejects(checkpointer.started, /no-such-driver/);
    assert.equal(autocheckpoint(db), 1000);
    await checkpointer.stop();
    db.close();
  });

  it('when the thread dies later, checkpoints go back to the connection and onError hears why', async () => {
    const db = openWal();
    const errors: Error[] = [];
    const checkpointer = startCheckpointer(db, file, { driver: FAILING_DRIVER, intervalMs: 20, onError: (error) => errors.push(error) });
    await checkpointer.started;
    assert.equal(autocheckpoint(db), 0);
    await until(() => errors.length > 0, 'onError');
    assert.match(errors[0]?.message ?? '', /disk I\/O error/);
    assert.equal(autocheckpoint(db), 1000);
    await sleep(50);
    assert.equal(errors.length, 1, 'one report');
    await checkpointer.stop();
    db.close();
  });

  it('a store stops its thread on close and leaves no WAL behind', async () => {
    const store = openSqliteStore(file);
    await store.migrate();
    await store.startBackgroundUpkeep((error) => assert.fail(error));
    assert.ok(existsSync(`${file}-wal`));
    await store.close();
    assert.equal(existsSync(`${file}-wal`), false);
  });
});
